"""A Docker engine for the docker runtime: install docker.io and debootstrap, start dockerd."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from chaoslab.errors import EnvironmentProblem

# Program -> the Debian package that provides it; debootstrap makes the offline base image.
PACKAGES = {"dockerd": "docker.io", "debootstrap": "debootstrap"}
START_TIMEOUT_S = 60.0


def ensure_engine(echo: Callable[[str], object] = print) -> list[str]:
    """Install what is missing, start dockerd when no engine answers; return what was done."""
    done = _install_missing(echo)
    if _answers():
        return done
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "No Docker engine answers, and starting dockerd needs root.",
            hint="`sudo chaoslab setup --docker`, or `sudo systemctl start docker` and add yourself "
            "to the docker group.",
        )
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
        # Under systemd the engine is the docker unit's: started there, it survives us and reboots.
        echo("starting the Docker engine: systemctl start docker")
        subprocess.run(["systemctl", "start", "docker"], check=False, capture_output=True)
        if _wait_until_answers(time.monotonic() + START_TIMEOUT_S, None):
            return [*done, "docker"]
    _start_dockerd(echo)
    return [*done, "dockerd"]


def _install_missing(echo: Callable[[str], object]) -> list[str]:
    """apt-get install docker.io and debootstrap when their programs cannot be found."""
    packages = sorted({pkg for program, pkg in PACKAGES.items() if not _which(program)})
    if not packages:
        return []
    if not shutil.which("apt-get"):
        raise EnvironmentProblem(
            f"Missing {', '.join(packages)} and this is not a Debian-like system.",
            hint="install Docker (https://docs.docker.com/engine/install/) and debootstrap.",
        )
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    echo(f"installing Debian packages: {' '.join(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env
    )
    return packages


def _which(program: str) -> str | None:
    # dockerd and debootstrap live in /usr/sbin, which is not on every user's PATH.
    return shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/local/sbin:/sbin")


def _answers() -> bool:
    from chaoslab.runtimes.docker.engine import engine

    try:
        engine()
    except EnvironmentProblem:
        return False
    return True


def _start_dockerd(echo: Callable[[str], object]) -> None:
    """Start dockerd detached (its own session, outliving us), logging under the cache home."""
    from chaoslab.homes import cache_home

    dockerd = _which("dockerd")
    if not dockerd:
        raise EnvironmentProblem("dockerd is not installed.", hint="apt-get install -y docker.io")
    log = cache_home() / "docker" / "dockerd.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    echo(f"starting the Docker engine: {dockerd} (log: {log})")
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [dockerd],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if _wait_until_answers(time.monotonic() + START_TIMEOUT_S, process):
        return
    code = process.poll()
    what = f"exited with code {code}" if code is not None else "did not answer"
    lines = log.read_text(errors="replace").splitlines()[-12:]
    raise EnvironmentProblem(
        f"dockerd {what} within {START_TIMEOUT_S:.0f} s (log: {log}).",
        details=lines,
        hint="the log lines above say why (often: another dockerd or containerd already running, "
        "no iptables, or no cgroups in this container); fix that and run `chaoslab setup --docker` again.",
    )


def _wait_until_answers(deadline: float, process: subprocess.Popen[bytes] | None) -> bool:
    while time.monotonic() < deadline:
        if _answers():
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.5)
    return False
