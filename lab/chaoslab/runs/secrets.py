"""A run's credentials: one random password per service, in ``<run>/secrets.env`` (mode 0600).

Other users on the machine reach every lab's ports on 127.0.0.1; these passwords are what keeps
them out of a lab that is not theirs. They are made once, when the run is created, and never
baked into anything shared (the database template is copied, then given this run's password).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from chaoslab.errors import EnvironmentProblem

SECRETS_FILE = "secrets.env"
# The one login of the lab's Prometheus (basic auth); PostgreSQL's role is DB_USER.
PROMETHEUS_USER = "chaoslab"
# 24 URL-safe characters (~144 bits): safe in URLs, env files and SQL literals without quoting.
PASSWORD_BYTES = 18
KEYS = {
    "postgres": "CHAOSLAB_POSTGRES_PASSWORD",
    "redis": "CHAOSLAB_REDIS_PASSWORD",
    "prometheus": "CHAOSLAB_PROMETHEUS_PASSWORD",
}


@dataclass(frozen=True)
class RunSecrets:
    """The passwords of one run's PostgreSQL role, Redis and Prometheus."""

    postgres: str
    redis: str
    prometheus: str

    def env(self) -> dict[str, str]:
        """The passwords as the variables of ``secrets.env``."""
        return {key: getattr(self, service) for service, key in KEYS.items()}


def write_private(path: Path, text: str) -> None:
    """Write ``path`` readable and writable by its owner only (0600), from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as out:
        out.write(text)


def secrets_path(run_dir: Path) -> Path:
    """Where a run keeps its passwords."""
    return run_dir / SECRETS_FILE


def ensure_secrets(run_dir: Path) -> RunSecrets:
    """The run's passwords, made (mode 0600, owner only) on first use."""
    path = secrets_path(run_dir)
    if path.exists():
        return read_secrets(run_dir)
    made = RunSecrets(*(secrets.token_urlsafe(PASSWORD_BYTES) for _ in range(3)))
    text = "".join(f"{key}={value}\n" for key, value in made.env().items())
    # Created 0600 from the start: a chmod after writing would leave a moment of the umask's mode.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return made


def read_secrets(run_dir: Path) -> RunSecrets:
    """The passwords written when the run was created."""
    path = secrets_path(run_dir)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise EnvironmentProblem(
            f"The run in {run_dir} has no {SECRETS_FILE}: it was started by an older chaoslab, "
            "whose labs had no passwords.",
            hint="stop it (`chaoslab stop`) and start the lab again.",
        ) from None
    except PermissionError:
        raise EnvironmentProblem(
            f"{path} is not readable by this user: the lab belongs to another user.",
            hint="run chaoslab as the user who started the lab.",
        ) from None
    found = dict(line.split("=", 1) for line in lines if "=" in line)
    try:
        return RunSecrets(**{service: found[key] for service, key in KEYS.items()})
    except KeyError as missing:
        raise EnvironmentProblem(
            f"{path} lacks {missing.args[0]}.",
            hint="the file is the lab's own; stop the lab (`chaoslab stop`) and start it again.",
        ) from None
