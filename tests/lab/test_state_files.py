"""Garbled state files: every command that reads one names it and says how to recover, exit 2.

Tests run as root, and root reads a mode-000 file: unreadable is played by a folder where the
file should be. All commands run in one child process (`cli_batch.py`), each in a state home of
its own, with no lab running.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from chaoslab.atomic import CorruptStateFile
from chaoslab.runs.run import Run, RunInfo
from chaoslab.runs.timeline import Timeline
from chaoslab.runtimes.core.desired import read_desired
from tests.lab.test_cli_fuzz import TRACEBACK, run_batch

RUN_ID = "20261130-120000-db-pool-exhaustion-beef"
GARBLE = {
    "empty": b"",
    "truncated": b'{"id": "20261130-1',
    "wrong types": b'{"id": 5, "seed": "many", "services": 3}',
    "a list": b"[1, 2, 3]",
    "binary": bytes(range(256)),
    "a folder": None,
}
# The files, the commands that read them with no lab running, and the words of the recovery.
READERS = {
    "current": (
        ["status", "verify", "stop", "doctor", "runs", "open", "logs shop", "traces", "report"],
        "rm",
    ),
    "run.json": (
        ["status", "verify", "stop", "runs", "open", "logs shop", "traces", "report"],
        "delete its folder",
    ),
    "timeline.jsonl": (["runs", "report"], "delete"),
    "supervisor.json": (["status", "verify"], "chaoslab stop"),
}
GAMEDAY = """{"name": "drill", "seed": 1, "teams": ["red"], "created_at": 1, "rounds": []}"""


def healthy_home(home: Path) -> Path:
    """A state home whose current run is a finished lab: valid files, no process."""
    run_dir = home / "runs" / RUN_ID
    for sub in ("logs", "traces", "report"):
        (run_dir / sub).mkdir(parents=True)
    info = RunInfo(
        id=RUN_ID,
        scenario="db-pool-exhaustion",
        seed=1,
        variant="seq-scan",
        runtime="local",
        port_base=17700,
        created_at="2026-11-30T12:00:00+00:00",
        import_root=str(Path(__file__).parents[2] / "lab"),
    )
    (run_dir / "run.json").write_text(info.model_dump_json())
    (run_dir / "state.json").write_text("{}")
    (run_dir / "timeline.jsonl").write_text(json.dumps({"ts": time.time(), "event": "lab_up"}) + "\n")
    (run_dir / "supervisor.json").write_text('{"pid": null, "final": true, "services": {}}')
    (run_dir / "desired.json").write_text("[]")
    (run_dir / "logs" / "shop.log").write_text("started\n")
    (home / "current").write_text(RUN_ID)
    return run_dir


def garble(path: Path, kind: str) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    content = GARBLE[kind]
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)


def test_every_reader_of_a_garbled_file_names_it_and_the_way_out(tmp_path: Path) -> None:
    cases: list[tuple[str, str, str, str, Path]] = []
    for name, (commands, recovery) in READERS.items():
        for kind in GARBLE:
            if name == "timeline.jsonl" and kind == "empty":
                continue  # a run with no event yet
            for command in commands:
                home = tmp_path / f"{len(cases)}"
                run_dir = healthy_home(home)
                garble(home / name if name == "current" else run_dir / name, kind)
                if name == "timeline.jsonl":
                    # The report of a finished run; a garbled line is followed by a good one, or it
                    # would be an unfinished last line (a writer killed mid-append: skipped).
                    (home / "current").unlink()
                    if kind != "a folder":
                        with (run_dir / name).open("a") as timeline:
                            timeline.write('\n{"ts": 1, "event": "lab_down"}\n')
                cases.append((name, kind, command, recovery, home))
    gameday = tmp_path / "gameday"
    for kind in GARBLE:
        for command in ("gameday board --once", "gameday board --json"):
            folder = gameday / kind.replace(" ", "-")
            folder.mkdir(parents=True, exist_ok=True)
            garble(folder / "gameday.json", kind)
            cases.append(("gameday.json", kind, f"{command} {folder}", "delete the folder", tmp_path / "0"))

    results = run_batch(
        [{"args": command.split(), "env": {"CHAOSLAB_HOME": str(home)}} for _, _, command, _, home in cases],
        tmp_path,
    )

    failures = []
    for (name, kind, command, recovery, _), result in zip(cases, results, strict=True):
        stderr = result["stderr"]
        lines = [line for line in stderr.splitlines() if line.strip()]
        ok = (
            result["code"] == 2
            and TRACEBACK not in stderr
            and len(lines) == 2
            and lines[0].startswith("error: ")
            and name in lines[0]
            and lines[1].startswith("Hint: ")
            and recovery in lines[1]
        )
        if not ok:
            failures.append(f"{name} {kind}: chaoslab {command} → exit {result['code']}\n{stderr[-800:]}")
    assert not failures, f"{len(failures)} of {len(cases)}:\n\n" + "\n\n".join(failures)


def test_a_writer_killed_mid_line_loses_only_that_event(tmp_path: Path) -> None:
    path = tmp_path / "timeline.jsonl"
    path.write_text(json.dumps({"ts": 1.0, "event": "lab_up"}) + '\n{"ts": 2.0, "ev')

    assert [e["event"] for e in Timeline(path).events()] == ["lab_up"]


@pytest.mark.parametrize("kind", list(GARBLE))
def test_state_and_desired_files_say_how_to_recover(tmp_path: Path, kind: str) -> None:
    run_dir = healthy_home(tmp_path)
    run = Run.at(run_dir)
    garble(run.state_path, kind)
    garble(run_dir / "desired.json", kind)

    with pytest.raises(CorruptStateFile, match=r"desired\.json") as desired_error:
        read_desired(run_dir)
    assert "chaoslab stop" in (desired_error.value.hint or "")
    if kind == "wrong types":  # keys it does not know are kept; the ones it knows are typed
        run.state_path.write_text('{"hints_shown": "many", "phase": 5}')
    with pytest.raises(CorruptStateFile, match=r"state\.json") as state_error:
        run.read_state()
    assert "rm " in (state_error.value.hint or "")
