"""The session on the command line: `start --for` checked before anything starts, the warning, `extend`."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest

from chaoslab.runs import Run
from chaoslab.runs.run import mark_current
from chaoslab.runs.session import Session
from tests.lab.test_cli import assert_one_clear_error, chaoslab


@pytest.mark.parametrize(
    ("args", "env", "needles"),
    [
        (["--for", "5s"], {}, ["--for", "from 1m to 8h", "not 5s"]),
        (["--for", "9h"], {}, ["--for", "from 1m to 8h"]),
        (["--for", "an hour"], {}, ["--for", "not a length of time", "45m"]),
        ([], {"CHAOSLAB_SESSION": "0m"}, ["CHAOSLAB_SESSION", "from 1m to 8h"]),
    ],
)
def test_a_bad_session_length_is_one_line_before_anything_starts(
    args: list[str], env: dict[str, str], needles: list[str], tmp_path: Path
) -> None:
    result = chaoslab("start", "db-pool-exhaustion", *args, env={"CHAOSLAB_HOME": str(tmp_path), **env})
    assert_one_clear_error(result, 2, *needles)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "runs").exists()


def test_the_session_length_and_its_variable_are_in_the_help() -> None:
    shown = chaoslab("start", "--help", env={"COLUMNS": "250"}).stdout
    assert "--for" in shown and "CHAOSLAB_SESSION" in shown and "60m" in shown
    assert "30m" in chaoslab("extend", "--help", env={"COLUMNS": "250"}).stdout


def test_extend_needs_a_lab_and_a_length(tmp_path: Path) -> None:
    home = {"CHAOSLAB_HOME": str(tmp_path)}
    assert_one_clear_error(chaoslab("extend", **{"env": home}), 2, "No lab is running")
    result = chaoslab("extend", "soon", env=home)
    assert_one_clear_error(result, 2, "not a length of time")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_command_on_a_lab_in_its_last_minutes_warns_in_one_line(
    lab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under the session's home: as root, a run folder must be reachable by other users.
    monkeypatch.setenv("CHAOSLAB_HOME", tempfile.mkdtemp(prefix="cli-session-", dir=lab_home))
    run = Run.create(scenario="s", seed=1, variant="v", runtime="local", port_base=17400)
    mark_current(run)
    now = time.time()
    run.write_state(session=Session(started_at=now - 3600, ends_at=now + 130))
    result = chaoslab("runs", "--json")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)  # the warning stays off stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("warning: this lab's session ends in 2m") and "chaoslab extend" in line

    run.write_state(session=Session(started_at=now - 3600, ends_at=now + 600))
    assert chaoslab("runs", "--json").stderr == ""
