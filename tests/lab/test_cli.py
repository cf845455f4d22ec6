"""Bad input gets one clear sentence with a hint and the documented exit code, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaoslab import __version__
from tests import REPO_ROOT
from tests.chaoslab_command import run_chaoslab


def chaoslab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_chaoslab(*args, env=env)


def assert_one_clear_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_list_shows_the_catalog() -> None:
    result = chaoslab("list")
    assert result.returncode == 0
    assert "db-pool-exhaustion" in result.stdout and "Case Study 1" in result.stdout


def test_unknown_scenario() -> None:
    assert_one_clear_error(
        chaoslab("start", "no-such-incident"), 2, "Unknown scenario", "Hint:", "db-pool-exhaustion"
    )


def test_commands_without_a_lab_say_how_to_start_one() -> None:
    for command in ("status", "verify", "hint", "env"):
        assert_one_clear_error(chaoslab(command), 2, "No lab is running", "chaoslab start")


def test_unknown_option_is_a_usage_error() -> None:
    result = chaoslab("start", "db-pool-exhaustion", "--sed", "3")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_port_in_use_names_the_port_and_loses_nothing(port_base: int) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port_base + 3))  # where Prometheus would listen
        squatter.listen()
        result = chaoslab("start", "db-pool-exhaustion", "--port-base", str(port_base))
    assert_one_clear_error(result, 2, f"Port {port_base + 3}", "prometheus", "in use", "--port-base")
    assert chaoslab("status").returncode == 2  # no half-started lab was left as the current one


def test_missing_binary_names_it_and_the_install_command(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "CHAOSLAB_CACHE": str(tmp_path / "cache")}
    result = chaoslab("doctor", env=env)
    assert_one_clear_error(result, 2, "`prometheus`", "apt-get install -y prometheus", "toxiproxy")


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_run_takes_its_lab_down(port_base: int, sig: signal.Signals) -> None:
    from chaoslab.homes import state_home
    from chaoslab.runtimes.local.runtime import processes_of_run
    from chaoslab.waiting import wait_until

    runs_before = set((state_home() / "runs").glob("*"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoslab.cli", "run", "db-pool-exhaustion", "--port-base", str(port_base)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # Background jobs may inherit an ignored SIGINT; a terminal's Ctrl-C is not ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:

        def lab_is_up() -> bool:
            new = set((state_home() / "runs").glob("*")) - runs_before
            return any(
                "load_started" in (r / "timeline.jsonl").read_text()
                for r in new
                if (r / "timeline.jsonl").exists()
            )

        wait_until(lab_is_up, 120, "the run's lab to come up")
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig
    assert "Traceback" not in stderr
    (run_dir,) = set((state_home() / "runs").glob("*")) - runs_before
    assert processes_of_run(run_dir.name) == []
    assert "lab_down" in (run_dir / "timeline.jsonl").read_text()


# -- scripting: pipes, JSON, conventions (issue 14) ---------------------------------------------

SCENARIO_IDS = sorted(p.parent.name for p in (REPO_ROOT / "scenarios").glob("*/scenario.yaml"))


@pytest.fixture
def empty_home(lab_home: Path) -> Iterator[Path]:
    """A state home with nothing in it (under the session's, so an unprivileged PostgreSQL could enter)."""
    home = Path(tempfile.mkdtemp(prefix="cli-", dir=lab_home))
    home.chmod(0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_list_in_an_80_column_pipe_cuts_no_id() -> None:
    result = chaoslab("list", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert SCENARIO_IDS and all(any(f" {i} " in line for line in lines) for i in SCENARIO_IDS), result.stdout
    assert "…" not in result.stdout
    # Titles are not cut either: each one is on one line of the pipe.
    assert "The Cascading Latency Spike - Database Connection Exhaustion" in result.stdout


def test_list_json_names_every_scenario() -> None:
    result = chaoslab("list", "--json", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    scenarios = json.loads(result.stdout)["scenarios"]
    assert [s["id"] for s in scenarios] == SCENARIO_IDS
    for scenario in scenarios:
        assert set(scenario) >= {"id", "title", "chapter", "difficulty", "variants", "services"}
        assert scenario["variants"] and all(isinstance(v, str) for v in scenario["variants"])


def test_version() -> None:
    result = chaoslab("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"chaoslab {__version__}"


def test_help_names_the_environment_variables() -> None:
    assert "CHAOSLAB_HOME" in chaoslab("--help").stdout
    assert "CHAOSLAB_PORT_BASE" in chaoslab("start", "--help").stdout


# Extreme values of every numeric option: tests/lab/test_cli_fuzz.py (every command, one process).


def test_a_bad_port_base_from_the_environment_is_one_line() -> None:
    result = chaoslab("start", "no-such-incident", env={"CHAOSLAB_PORT_BASE": "70000"})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "CHAOSLAB_PORT_BASE" in result.stderr and "65495" in result.stderr


def test_an_unknown_runtime_is_refused_before_anything_starts(empty_home: Path) -> None:
    result = chaoslab(
        "start", "db-pool-exhaustion", "--runtime", "bogus", env={"CHAOSLAB_HOME": str(empty_home)}
    )
    assert_one_clear_error(result, 2, "--runtime", "bogus", "local", "docker")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (empty_home / "runs").exists()


def test_runs_lists_past_runs_with_their_verdict_and_times(
    empty_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.reports.test_postmortem import fake_run

    monkeypatch.setenv("CHAOSLAB_HOME", str(empty_home))
    resolved = fake_run(empty_home)
    unresolved = fake_run(empty_home, ack=False, resolve=False)
    result = chaoslab("runs", "--json", env={"CHAOSLAB_HOME": str(empty_home)})
    assert result.returncode == 0, result.stderr
    runs = {r["id"]: r for r in json.loads(result.stdout)["runs"]}
    assert set(runs) == {resolved.id, unresolved.id}
    assert runs[resolved.id]["verdict"] == "verified"
    assert (runs[resolved.id]["ttd_s"], runs[resolved.id]["ttr_s"]) == (12.0, 52.0)
    assert runs[unresolved.id]["verdict"] == "not verified"
    assert runs[unresolved.id]["ttd_s"] == 9.0 and runs[unresolved.id]["ttr_s"] is None
    assert {"scenario", "seed", "variant"} <= set(runs[resolved.id])
    table = chaoslab("runs", env={"CHAOSLAB_HOME": str(empty_home), "COLUMNS": "80"})
    assert resolved.id in table.stdout and unresolved.id in table.stdout  # whole ids in a pipe
    assert "not verified" in table.stdout


def test_open_without_a_lab_lists_the_last_runs_files(
    empty_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.reports.test_postmortem import fake_run

    monkeypatch.setenv("CHAOSLAB_HOME", str(empty_home))
    run = fake_run(empty_home)
    env = {"CHAOSLAB_HOME": str(empty_home)}
    listing = json.loads(chaoslab("open", "--json", env=env).stdout)
    assert listing["run"] == run.id and listing["running"] is False
    places = {p["name"]: p for p in listing["places"]}
    assert "prometheus" not in places  # no lab up: no URL to offer
    assert places["run"]["path"] == str(run.dir) and places["run"]["exists"]
    assert chaoslab("open", "run", env=env).stdout.strip() == str(run.dir)
    assert_one_clear_error(chaoslab("open", "report", env=env), 2, "does not exist yet", "chaoslab report")
    assert_one_clear_error(chaoslab("open", "nothing", env=env), 2, "one of:", "traces")


def test_the_game_day_board_as_json(empty_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.reports.test_postmortem import two_team_gameday

    monkeypatch.setenv("CHAOSLAB_HOME", str(empty_home))
    folder = two_team_gameday(empty_home, empty_home / "gd", done=False)
    result = chaoslab("gameday", "board", str(folder.dir), "--json")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)
    assert board["name"] == "drill" and board["status"] == "running"
    assert [s["team"] for s in board["standings"]] == ["red", "blue"]
    first, later = board["incidents"][0], board["incidents"][2]
    assert first["verified"] is True and first["ttd_s"] == 12.0
    assert later["run_id"] is None and later["scenario"] is None  # the draw stays hidden


@pytest.fixture
def lab_cli(port_base: int) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """`chaoslab ARGS` on this test's ports (tests/scenarios/conftest.py's pattern); the lab stops after."""

    def run(*args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
        return chaoslab(*args, env={"CHAOSLAB_PORT_BASE": str(port_base), "COLUMNS": str(columns)})

    yield run
    run("stop")


@pytest.mark.integration
def test_a_healthy_lab_answers_in_json(
    lab_cli: Callable[..., subprocess.CompletedProcess[str]], port_base: int
) -> None:
    from chaoslab.waiting import wait_until

    started = lab_cli("start", "db-pool-exhaustion", "--no-fault")
    assert started.returncode == 0, started.stderr
    assert f"http://127.0.0.1:{port_base + 3}/graph" in started.stdout  # where Prometheus' UI is

    status = json.loads(lab_cli("status", "--json").stdout)
    assert status["healthy"] is True and status["run"]["scenario"] == "db-pool-exhaustion"
    assert {"postgres", "shop", "prometheus"} <= {s["name"] for s in status["services"]}
    assert {s["probe"] for s in status["signals"]} and isinstance(status["firing"], list)
    narrow = lab_cli("status", columns=80)
    assert narrow.returncode == 0 and "…" not in narrow.stdout
    # That answer came from the lab API (lab/chaoslab/lab_api/); worked out in the CLI's own process
    # it is the same document.
    run_dir = Path(os.environ["CHAOSLAB_HOME"]) / "runs" / status["run"]["id"]
    assert (run_dir / "lab-api.sock").exists()
    by_itself = chaoslab(
        "status", "--json", env={"CHAOSLAB_PORT_BASE": str(port_base), "CHAOSLAB_NO_LAB_API": "1"}
    )
    assert by_itself.returncode == 0, by_itself.stderr
    alone = json.loads(by_itself.stdout)
    assert set(alone) == set(status) and alone["run"] == status["run"] and alone["healthy"] is True
    assert [s["name"] for s in alone["services"]] == [s["name"] for s in status["services"]]

    def scraped() -> bool:
        answer = json.loads(lab_cli("query", "--json", 'up{job="shop"}').stdout)
        return any(series["value"] == "1" for series in answer["result"])

    wait_until(scraped, 60, "Prometheus to scrape the shop")
    alerts = lab_cli("alerts", "--json")
    assert alerts.returncode == 0
    assert isinstance(json.loads(alerts.stdout)["alerts"], list)

    # No fault, but no fix either: the feature flag is off, and verify names that check.
    verify = lab_cli("verify", "--json")
    assert verify.returncode == 1, verify.stderr
    verdict = json.loads(verify.stdout)
    assert verdict["verified"] is False and verdict["scenario"] == "db-pool-exhaustion"
    failing = [c["label"] for c in verdict["checks"] if not c["held"]]
    assert "feature_enabled" in failing and all(name in verify.stderr for name in failing)
    assert {"label", "condition", "value", "held", "at_s", "error"} <= set(verdict["checks"][0])

    runs = json.loads(lab_cli("runs", "--json").stdout)["runs"]
    assert [r["verdict"] for r in runs if r["id"] == status["run"]["id"]] == ["running"]
    assert lab_cli("open", "prometheus", "--no-browser").stdout.strip().endswith(f":{port_base + 3}/graph")

    # Every command answers with the top-level keys of its example in docs/cli-json.md.
    documented = documented_json_keys()
    answers = {
        name: lab_cli(*name.split(), "--json") for name in ("hint", "flags", "targets", "env", "report")
    }
    answers |= {"open": lab_cli("open", "--json", "--no-browser"), "list": lab_cli("list", "--json")}
    answers |= {"resolved": lab_cli("resolved", "--json"), "verify": verify, "alerts": alerts}
    wait_until(lambda: lab_cli("traces", "--json", "--last", "1").returncode == 0, 30, "a complete trace")
    answers["traces"] = lab_cli("traces", "--json", "--last", "1")
    for name, answer in answers.items():
        assert answer.returncode in (0, 1), f"{name}: {answer.stderr}"
        assert set(json.loads(answer.stdout)) == documented[name], f"`{name} --json` differs from its docs"
    assert set(status) == documented["status"] and set(runs[0]) <= set(documented_runs_entry())

    # Asking the lab API loads no schema: the commands a learner repeats start at once.
    loaded = modules_loaded_by(
        ["status"], ["alerts"], ["query", "up"], ["verify"], cache=Path(os.environ["CHAOSLAB_CACHE"])
    )
    assert not {"pydantic", "chaoslab.scenarios", "chaoslab.lifecycle"} & loaded
    assert lab_cli("stop").returncode == 0
    assert not (run_dir / "lab-api.sock").exists() and not (run_dir / "lab-api.pid").exists()


def documented_json_keys() -> dict[str, set[str]]:
    """Top-level keys of the first example under each `## command` heading of docs/cli-json.md."""
    import re

    document = (REPO_ROOT / "docs" / "cli-json.md").read_text()
    keys = {}
    for heading, body in re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", document, re.M | re.S):
        example = re.search(r"```json\n(.*?)```", body, re.S)
        if example:
            for name in heading.split(", "):
                keys[name.strip("`")] = set(json.loads(example.group(1)))
    return keys


def documented_runs_entry() -> set[str]:
    """The keys of one run in the `runs --json` example."""
    import re

    document = (REPO_ROOT / "docs" / "cli-json.md").read_text()
    body = document.split("## runs", 1)[1]
    return set(json.loads(re.search(r"```json\n(.*?)```", body, re.S).group(1))["runs"][0])  # type: ignore[union-attr]


def test_every_json_command_has_its_documented_shape() -> None:
    import re

    import typer.main

    from chaoslab.cli import app

    document = (REPO_ROOT / "docs" / "cli-json.md").read_text()
    for block in re.findall(r"```json\n(.*?)```", document, re.S):
        json.loads(block)
    group = typer.main.get_command(app)
    assert isinstance(group, typer.main.TyperGroup)
    with_json = [
        name
        for name, command in group.commands.items()
        if any("--json" in getattr(p, "opts", []) for p in command.params)
    ]
    assert {"list", "status", "alerts", "query", "verify", "runs", "gameday"} <= set(with_json)
    for name in with_json:
        title = "gameday board" if name == "gameday" else name
        assert re.search(rf"^## .*\b{re.escape(title)}\b", document, re.M), f"docs/cli-json.md: no `{title}`"


HEAVY = {"redis", "psycopg", "requests", "urllib3", "locust", "flask", "matplotlib", "psutil", "toxiproxy"}
HEAVY |= {
    "playwright",
    "docker",
    "numpy",
    "gevent",
    "rich.live",
    "rich.markdown",  # typer's boxed help: `--help` is plain text (lab/chaoslab/cli/root.py)
    "chaoslab.lifecycle",
    "chaoslab.running_lab",
    "chaoslab.runtimes",
}


def modules_loaded_by(*commands: list[str], cache: Path) -> set[str]:
    """The modules a fresh interpreter holds after `import chaoslab.cli` and running ``commands``."""
    script = (
        "import contextlib, io, sys\n"
        "import chaoslab.cli\n"
        "from chaoslab.errors import LabError\n"
        f"for args in {list(commands)!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit, LabError):\n"
        "        chaoslab.cli.app(args, standalone_mode=False)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env={**os.environ, "CHAOSLAB_CACHE": str(cache)},
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize("args", [[], ["--help"], ["list"], ["list", "--json"]])
def test_starting_up_imports_only_what_the_command_needs(args: list[str], empty_home: Path) -> None:
    """`--help` and `list` answer at once: no client library, runtime or plotting is imported for them
    (an empty cache: `list` validates the scenarios, the slow way)."""
    loaded = modules_loaded_by(*([args] if args else []), cache=empty_home)
    pulled = {m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)}
    assert not pulled, f"{' '.join(args) or 'import chaoslab.cli'} imported {sorted(pulled)}"
    if args in ([], ["--help"]):
        assert not {"pydantic", "yaml", "chaoslab.scenarios"} & loaded


def test_help_and_a_cached_list_parse_without_pydantic(empty_home: Path) -> None:
    """The options are parsed by typer itself: typer 0.29 builds a pydantic TypeAdapter for each
    one, ~0.2 s on every command (pyproject.toml pins below it). `list` from its cache needs none."""
    modules_loaded_by(["list"], cache=empty_home)  # validates once, fills the cache
    loaded = modules_loaded_by(["--help"], ["list"], ["list", "--json"], cache=empty_home)
    assert "chaoslab.scenario_index" in loaded and "pydantic" not in loaded
