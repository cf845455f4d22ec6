"""The offline base image: Debian bookworm made with debootstrap and `docker import`, no registry.

Every offline image is built on it (lab/chaoslab/runtimes/docker/images.py). It carries what every one
of them needs (BASE_PACKAGES) and is trimmed as Debian's own slim images are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from chaoslab.echo import Echo
from chaoslab.errors import EnvironmentProblem

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates", "socat", "procps")
# Bump when bootstrap_base changes what it makes of the package list (the base is rebuilt).
BASE_RECIPE = "2"


def run_logged(command: list[str], what: str, log: Path) -> None:
    """Run a host command with its output in ``log``; fail with the log's last lines."""
    with open(log, "wb") as out:
        code = subprocess.run(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        ).returncode
    if code != 0:
        lines = log.read_text(errors="replace").splitlines()
        raise EnvironmentProblem(
            f"`{what}` failed with exit code {code} (full output in {log}).",
            details=lines[-15:],
            hint="the last lines above say why; the offline build needs PyPI over https and "
            f"{MIRROR} over http from this machine.",
        )


_SOURCES = f"""\
deb {MIRROR} {SUITE} main
deb {MIRROR} {SUITE}-updates main
deb {MIRROR.removesuffix("/debian")}/debian-security {SUITE}-security main
"""
# No recommends, no .debs kept: the images stay small without every Dockerfile saying so.
_APT_CONF = """\
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Keep-Downloaded-Packages "false";
Acquire::Languages "none";
"""
# As Debian's own slim images do: no docs, man pages or translations from later installs.
_DPKG_EXCLUDES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
"""
# Package scripts must not try to start services in a build container.
_POLICY_RC = "#!/bin/sh\nexit 101\n"


def bootstrap_base(
    client: Any, ref: str, labels: dict[str, str], python_label: str, work_dir: Path, echo: Echo
) -> None:
    """Make the base with debootstrap (bookworm minbase + BASE_PACKAGES) and `docker import` it.

    ``labels`` go on the image, with the version of its python3 under ``python_label``.
    """
    debootstrap = shutil.which("debootstrap")
    if not debootstrap:
        raise EnvironmentProblem(
            "The offline base image is made with debootstrap, which is not installed.",
            hint="`chaoslab setup --docker` (or `apt-get install -y debootstrap`).",
        )
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "debootstrap must run as root to make the offline base image.",
            hint="run `chaoslab images build --offline` as root (sudo) once; later builds reuse it.",
        )
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="base-", dir=work_dir))
    tarball = root.with_suffix(".tar")
    try:
        echo(f"bootstrapping Debian {SUITE} (minbase + {', '.join(BASE_PACKAGES)}) from {MIRROR}")
        command = [debootstrap, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}"]
        run_logged([*command, SUITE, str(root), MIRROR], "debootstrap", work_dir / "debootstrap.log")
        _trim(root)
        python = subprocess.run(
            ["chroot", str(root), "python3", "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        tar = ["tar", "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."]
        run_logged(tar, "tar", work_dir / "tar.log")
        echo(f"importing {ref}")
        repository, tag = ref.rsplit(":", 1)
        label_line = " ".join(f"{k}={v}" for k, v in {**labels, python_label: python}.items())
        changes = [
            f"LABEL {label_line}",
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            'CMD ["bash"]',
        ]
        client.api.import_image_from_file(str(tarball), repository=repository, tag=tag, changes=changes)
        echo(f"made {ref} (Python {python}) in {time.monotonic() - started:.0f} s")
    finally:
        _unmount_under(root)  # a failed debootstrap can leave /proc or /sys mounted in the root
        shutil.rmtree(root, ignore_errors=True)
        tarball.unlink(missing_ok=True)


def _trim(root: Path) -> None:
    """Make the bootstrapped tree an image: Debian's sources, apt and dpkg settings, no host files."""
    (root / "etc/apt/sources.list").write_text(_SOURCES)
    (root / "etc/apt/apt.conf.d/90chaoslab").write_text(_APT_CONF)
    (root / "etc/dpkg/dpkg.cfg.d/90chaoslab-excludes").write_text(_DPKG_EXCLUDES)
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text(_POLICY_RC)
    policy.chmod(0o755)
    # debootstrap copies the host's; the engine mounts its own into every container.
    for name in ("etc/resolv.conf", "etc/hostname"):
        (root / name).write_text("")
    for pattern in ("var/lib/apt/lists/*_*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb"):
        for path in root.glob(pattern):
            path.unlink()
    for folder in ("usr/share/man", "usr/share/info", "usr/share/locale"):
        for path in (root / folder).glob("*"):
            _remove(path)
    for path in (root / "usr/share/doc").glob("*/*"):
        if path.name != "copyright":
            _remove(path)
    for log in (root / "var/log").rglob("*.log"):
        log.write_text("")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _unmount_under(root: Path) -> None:
    """Unmount whatever is still mounted below ``root``, deepest first, before it is deleted."""
    prefix = f"{root}/"
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
