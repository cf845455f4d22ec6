"""Bad input gets one clear sentence with a hint and the documented exit code, never a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lab import PROJECT_ROOT


def chaoslab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


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
    from lab.runs.run import state_home
    from lab.runtimes.local.runtime import processes_of_run
    from lab.waiting import wait_until

    runs_before = set((state_home() / "runs").glob("*"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", "db-pool-exhaustion", "--port-base", str(port_base)],
        cwd=PROJECT_ROOT,
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
