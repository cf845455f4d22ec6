"""A state home on a full or a read-only disk: one sentence naming it, a Hint, exit 2, nothing half-made.

The disk is a 64 KiB tmpfs mounted for the test (root only), filled up or remounted read-only.
`runs` only reads, so it answers as usual there.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaoslab_command import run_chaoslab
from tests.lab.test_cli_fuzz import TRACEBACK
from tests.lab.test_state_files import RUN_ID, healthy_home

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tiny tmpfs needs root")
ROOT = Path(__file__).parents[2]


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs holding a state home with one finished run (no current lab)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc.stderr.decode().strip()}")
    try:
        healthy_home(mount_point / "home")
        (mount_point / "home" / "current").unlink()
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> None:
    """Write until the disk says no more."""
    with (disk / "ballast").open("wb", buffering=0) as ballast, contextlib.suppress(OSError):
        while True:
            ballast.write(b"\0" * 4096)


def chaoslab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_chaoslab(*args, home=home, unset=("CHAOSLAB_PORT_BASE",), timeout=60)


def assert_one_sentence(done: subprocess.CompletedProcess[str], words: str) -> None:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert TRACEBACK not in done.stderr
    assert len(lines) == 2 and lines[0].startswith("error: ") and words in lines[0], done.stderr
    assert lines[1].startswith("Hint: ") and "CHAOSLAB_HOME=" in lines[1], done.stderr


def state_of(home: Path) -> set[Path]:
    """Every file and folder under the home (the ballast lives beside it)."""
    return set(home.rglob("*"))


@pytest.mark.parametrize("trouble", ["full", "read-only"])
def test_start_report_and_runs_on_a_disk_in_trouble(tiny_disk: Path, trouble: str) -> None:
    home = tiny_disk / "home"
    if trouble == "full":
        fill(tiny_disk)
    else:
        _mount("-o", "remount,ro", str(tiny_disk))
    words = "No space left on" if trouble == "full" else "is read-only"
    before = state_of(home)

    try:
        started = chaoslab(home, "start", "db-pool-exhaustion", "--port-base", "17700")
        reported = chaoslab(home, "report", RUN_ID)
        listed = chaoslab(home, "runs")
    finally:
        if (home / "current").exists():  # the check failed and a lab came up: take it down
            chaoslab(home, "stop")

    assert_one_sentence(started, words)
    assert_one_sentence(reported, words)
    assert listed.returncode == 0 and RUN_ID in listed.stdout, listed.stderr
    assert state_of(home) - before <= {home / "runs" / RUN_ID / "report" / "graphs"}, (
        "something was half-made"
    )
    assert not (home / "current").exists()
