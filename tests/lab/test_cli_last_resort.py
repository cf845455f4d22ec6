"""An unexpected exception (a bug of ours): one line, the traceback kept in a file, exit 70."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.lab.test_cli_fuzz import TRACEBACK

# `chaoslab runs` with the history broken from inside, as a bug would break it.
BROKEN_RUNS = """
import sys
import chaoslab.reports.history

def broken():
    raise RuntimeError("boom\\nsecond line")

chaoslab.reports.history.past_runs = broken
sys.argv = ["chaoslab", "runs"]
from chaoslab.cli import main
main()
"""


def broken_runs(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BROKEN_RUNS],
        capture_output=True,
        text=True,
        env={**os.environ, "CHAOSLAB_HOME": str(home), **env},
        timeout=60,
    )


def test_a_bug_is_one_line_and_a_file(tmp_path: Path) -> None:
    done = broken_runs(tmp_path / "home")

    lines = done.stderr.splitlines()
    assert done.returncode == 70
    assert TRACEBACK not in done.stderr
    assert len(lines) == 2 and lines[1].startswith("Hint: "), done.stderr
    found = re.fullmatch(
        r"internal error: RuntimeError: boom second line \(full traceback in (\S+)\)", lines[0]
    )
    assert found, lines[0]
    saved = Path(found[1])
    assert saved.parent == tmp_path / "home" / "crashes"
    assert TRACEBACK in saved.read_text() and "boom" in saved.read_text()


def test_a_home_that_cannot_be_written_keeps_the_traceback_in_tmp(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")

    done = broken_runs(in_the_way / "home")

    assert done.returncode == 70
    saved = Path(re.findall(r"full traceback in (\S+)\)", done.stderr)[0])
    try:
        assert saved.parent == Path(tempfile.gettempdir()) and TRACEBACK in saved.read_text()
    finally:
        saved.unlink()


def test_chaoslab_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = broken_runs(tmp_path / "home", CHAOSLAB_DEBUG="1")

    assert done.returncode == 70
    assert TRACEBACK in done.stderr and "RuntimeError: boom" in done.stderr
