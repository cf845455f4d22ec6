"""The `chaoslab` pytest plugin, as a user's own project meets it: a pytest run in another folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chaoslab.runtimes.local.runtime import processes_of_run
from tests.conftest import free_port_base


def pytest_in(project: Path, *args: str, port_start: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    if port_start is not None:
        env["CHAOSLAB_TEST_PORT_START"] = str(port_start)
    # Only the plugin comes from this environment; the user's folder has no conftest or ini of ours.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:locust", "-q", *args],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=400,
    )


def test_the_plugin_is_registered_and_starts_nothing_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(
        "import sys\n\n"
        "def test_nothing_of_the_lab_is_loaded():\n"
        "    assert 'chaoslab.pytest_plugin' in sys.modules\n"
        "    assert 'chaoslab.lifecycle' not in sys.modules and 'chaoslab.running_lab' not in sys.modules\n"
    )
    result = pytest_in(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    fixtures = pytest_in(tmp_path, "--fixtures")
    assert "chaoslab_lab" in fixtures.stdout and "chaoslab_home" in fixtures.stdout
    assert "--chaoslab-keep" in pytest_in(tmp_path, "--help").stdout


# missing-metrics: the plugin's path is every scenario's, and this one is the quickest to play.
USER_TEST = """
def test_the_fix_brings_the_panel_back(chaoslab_lab):
    lab = chaoslab_lab("missing-metrics", seed=3)
    symptoms = lab.wait_for_symptoms()
    assert symptoms, symptoms.table
    assert lab.measure("exporter_ready") == 200
    lab.apply_fix()
    verdict = lab.assert_recovered(wait_s=90)
    assert verdict.ok and "panel_no_data" in verdict.table
    print("RUN_DIR", lab.run.dir)
"""


@pytest.mark.scenario
def test_a_users_recovery_test_drives_a_real_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "test_recovery.py").write_text(USER_TEST)
    result = pytest_in(tmp_path, "-s", "--chaoslab-keep", port_start=free_port_base())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    run_dir = Path(next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("RUN_DIR")))
    home = run_dir.parent.parent
    try:
        timeline = (run_dir / "timeline.jsonl").read_text()
        assert "fault_injected" in timeline and "fix_applied" in timeline and "lab_down" in timeline
        assert (run_dir / "report" / "postmortem.md").exists()  # --chaoslab-keep writes the draft
        monkeypatch.setenv("CHAOSLAB_HOME", str(home))
        assert processes_of_run(run_dir.name) == []
    finally:
        shutil.rmtree(home, ignore_errors=True)
