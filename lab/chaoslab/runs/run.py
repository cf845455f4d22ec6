"""A run's identity and directory: everything a lab creates lives under it."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field

from chaoslab.atomic import (
    CorruptStateFile,
    check_writable,
    disk_problem,
    read_json_model,
    write_atomically,
)
from chaoslab.errors import EnvironmentProblem, UsageError
from chaoslab.homes import state_home
from chaoslab.runs.secrets import RunSecrets, ensure_secrets, read_secrets
from chaoslab.runs.state import RunState
from chaoslab.shipped import IMPORT_ROOT

RUN_ID_ENV = "CHAOSLAB_RUN_ID"
# What `Run.create` names runs (stamp, scenario id, 4 hex digits): a run id is never a path.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def ensure_traversable(path: Path) -> None:
    """Create ``path`` and check that other users can reach it (needed when we are root)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return
    path.chmod(path.stat().st_mode | stat.S_IXOTH | stat.S_IROTH)
    for parent in [path, *path.parents]:
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise EnvironmentProblem(
                f"The lab's state directory {path} sits under {parent}, which other users "
                "cannot enter, so the unprivileged PostgreSQL user cannot reach its data.",
                hint="set CHAOSLAB_HOME to a directory under /var/lib, /var/tmp or /srv "
                "(the default as root is /var/lib/chaoslab).",
            )


def server_user() -> str | None:
    """The unprivileged OS user PostgreSQL runs as when we are root (it refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise EnvironmentProblem(
        "Running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL.",
        hint="create one: `useradd --system postgres`.",
    )


def server_group_id() -> int | None:
    """The group of the unprivileged PostgreSQL user when we are root (None: we are not root)."""
    user = server_user()
    return None if user is None else pwd.getpwnam(user).pw_gid


def make_private(path: Path) -> None:
    """Create ``path`` for its owner only: mode 0700, or 0710 to PostgreSQL's group as root."""
    # Run folders hold the run's passwords and data: other users may neither list nor enter them.
    # As root, PostgreSQL runs as an unprivileged user (it refuses root) and its data directory is
    # <run>/data/postgres, so it must pass through runs/, the run folder and data/ (and logs/ in
    # containers, where it writes its log as itself). Those folders
    # then belong to that user's group with mode 0710: the group may enter (x), never list (r).
    # Only the server user is in that group (`postgres`, or `nobody`'s `nogroup`); secrets.env
    # and the other files holding passwords are 0600, so even it cannot read them. Any other
    # user gets no access at all.
    path.mkdir(parents=True, exist_ok=True)
    group = server_group_id()
    if group is None:
        path.chmod(0o700)
        return
    os.chown(path, -1, group)
    path.chmod(0o710)


class RunInfo(BaseModel):
    """What a run is: written once at start to run.json."""

    id: str
    scenario: str
    seed: int
    variant: str
    runtime: str
    port_base: int
    created_at: str
    # The folder `chaoslab` is imported from: the companions' working directory, and what the app
    # containers mount and put on PYTHONPATH (run.json of older labs: project_root).
    import_root: str = Field(validation_alias=AliasChoices("import_root", "project_root"))


class Run:
    """A run directory and the files in it."""

    def __init__(self, directory: Path, info: RunInfo):
        self.dir = directory
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    # Files and folders of a run; the names are part of what learners see.
    @property
    def logs_dir(self) -> Path:
        return self.dir / "logs"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def config_dir(self) -> Path:
        return self.dir / "config"

    @property
    def source_dir(self) -> Path:
        """The working copy of the services' code this run deploys."""
        return self.dir / "src"

    @property
    def traces_dir(self) -> Path:
        return self.dir / "traces"

    @property
    def timeline_path(self) -> Path:
        return self.dir / "timeline.jsonl"

    @property
    def toxiproxy_socket(self) -> Path:
        """Toxiproxy's admin API for the lab's owner only (0600), when the lab has a private network.

        Its TCP port is then reachable from inside the lab alone (docs/isolation.md).
        """
        return self.dir / "toxiproxy.sock"

    @property
    def state_path(self) -> Path:
        return self.dir / "state.json"

    @property
    def metrics_path(self) -> Path:
        """Key metrics and alert spans exported from Prometheus before its data is dropped."""
        return self.dir / "metrics.json"

    @property
    def secrets(self) -> RunSecrets:
        """The run's passwords (PostgreSQL, Redis, Prometheus), from ``secrets.env``."""
        return read_secrets(self.dir)

    def log_path(self, service: str) -> Path:
        return self.logs_dir / f"{service}.log"

    @classmethod
    def create(cls, *, scenario: str, seed: int, variant: str, runtime: str, port_base: int) -> Run:
        """Make a new run directory under the state home."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        run_id = f"{stamp}-{scenario}-{secrets.token_hex(2)}"
        home = state_home()
        check_writable(home)
        directory = home / "runs" / run_id
        info = RunInfo(
            id=run_id,
            scenario=scenario,
            seed=seed,
            variant=variant,
            runtime=runtime,
            port_base=port_base,
            created_at=datetime.now(UTC).isoformat(),
            import_root=str(IMPORT_ROOT),
        )
        run = cls(directory, info)
        try:
            ensure_traversable(home)
            # Not listable by others: a run's id is no secret, but the list of a home's runs is
            # nobody else's.
            make_private(home / "runs")
            make_private(directory)
            ensure_secrets(directory)
            for sub in (run.config_dir, run.traces_dir):
                sub.mkdir(mode=0o700, exist_ok=True)
            # The unprivileged server user passes through data/ to its data directory, and (docker
            # runtime) through logs/ to the log file it appends to as itself.
            make_private(run.data_dir)
            make_private(run.logs_dir)
            write_atomically(directory / "run.json", info.model_dump_json(indent=2))
        except OSError as exc:
            # A disk that filled up between the check and here: no half-made run folder stays.
            shutil.rmtree(directory, ignore_errors=True)
            raise disk_problem(exc, home) or exc from None
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        return run

    @classmethod
    def load(cls, run_id: str) -> Run:
        """Open an existing run by id."""
        directory = state_home() / "runs" / run_id
        if not RUN_ID.fullmatch(run_id):
            raise UsageError(
                f"{run_id!r} is not a run id (ids look like 20260101-120000-db-pool-exhaustion-1a2b).",
                hint="`chaoslab runs` lists them; a run folder's path works too.",
            )
        try:
            return cls.at(directory)
        except UsageError:
            raise UsageError(
                f"No run {run_id!r} under {state_home() / 'runs'}.",
                hint="`ls` that folder to see past runs.",
            ) from None

    @classmethod
    def at(cls, directory: Path) -> Run:
        """Open the run in ``directory`` (a game day keeps runs under several state homes)."""
        try:
            info = read_json_model(
                directory / "run.json",
                RunInfo,
                "the run record",
                f"that run cannot be opened any more: delete its folder (`rm -r {directory}`).",
            )
        except (FileNotFoundError, NotADirectoryError):
            raise UsageError(
                f"{directory} is not a run folder (no run.json in it).",
                hint="pass a run id or a folder under <state home>/runs.",
            ) from None
        return cls(directory, info)

    def read_state(self) -> RunState:
        """The lab-level state (phase, fault, hints shown, session), kept between CLI calls."""
        recover = f"delete it (`rm {self.state_path}`): the phase and hints shown start over, the run stays."
        try:
            return read_json_model(self.state_path, RunState, "the lab state", recover)
        except FileNotFoundError:
            return RunState()

    def write_state(self, **updates: object) -> RunState:
        """Merge ``updates`` (fields of RunState) into state.json atomically."""
        state = RunState.model_validate({**self.read_state().model_dump(), **updates})
        write_atomically(self.state_path, state.model_dump_json(indent=2))
        return state

    def remove_data(self) -> None:
        """Drop the bulky state (database files, TSDB) once the lab is down; logs stay."""
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _current_pointer() -> Path:
    return state_home() / "current"


def mark_current(run: Run) -> None:
    """Record ``run`` as the home's active lab."""
    write_atomically(_current_pointer(), run.id)


def _pointed_run_id() -> str | None:
    """The run id in the current-run pointer, or an error saying how to clear a garbled one."""
    pointer = _current_pointer()
    recover = f"delete it (`rm -r {pointer}`): it only says which run is active."
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = "not a file" if isinstance(exc, IsADirectoryError) else exc.strerror or type(exc).__name__
        raise CorruptStateFile(
            f"The current-run pointer {pointer} is unreadable ({reason}).", hint=recover
        ) from None
    try:
        run_id = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        run_id = ""
    if not RUN_ID.fullmatch(run_id):
        raise CorruptStateFile(
            f"The current-run pointer {pointer} is unreadable (it holds no run id).", hint=recover
        )
    return run_id


def clear_current(run: Run) -> None:
    """Forget the active lab if it is ``run``."""
    try:
        pointed = _pointed_run_id()
    except CorruptStateFile:
        pointed = run.id  # a garbled pointer points at nothing else: it goes with this run
    if pointed == run.id:
        _current_pointer().unlink(missing_ok=True)


def current_run() -> Run | None:
    """The active lab of this state home, if any."""
    run_id = _pointed_run_id()
    if run_id is None:
        return None
    try:
        return Run.load(run_id)
    except UsageError:
        # A pointer to a run folder that is gone: nothing runs. A read-only home keeps it, harmlessly.
        with contextlib.suppress(OSError):
            _current_pointer().unlink(missing_ok=True)
        return None


def now() -> float:
    """Wall-clock seconds; one place so timelines and probes agree."""
    return time.time()
