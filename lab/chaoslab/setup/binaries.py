"""Locate PostgreSQL, Redis, Toxiproxy, Prometheus, Chromium, stress-ng; install what is missing on Debian."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from chaoslab.errors import EnvironmentProblem

TOXIPROXY_MODULE = "github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0"


@dataclass(frozen=True)
class Binary:
    """A program the lab needs and how to get it."""

    name: str
    apt_package: str | None
    install_hint: str


BINARIES: dict[str, Binary] = {
    b.name: b
    for b in [
        Binary("initdb", "postgresql", "apt-get install -y postgresql"),
        Binary("postgres", "postgresql", "apt-get install -y postgresql"),
        Binary("pg_isready", "postgresql", "apt-get install -y postgresql"),
        Binary("psql", "postgresql-client", "apt-get install -y postgresql-client"),
        Binary("redis-server", "redis-server", "apt-get install -y redis-server"),
        Binary("redis-cli", "redis-tools", "apt-get install -y redis-tools"),
        Binary("prometheus", "prometheus", "apt-get install -y prometheus"),
        # Debian's own build: Playwright drives it by path, nothing is downloaded.
        Binary("chromium", "chromium", "apt-get install -y chromium"),
        # `chaoslab repeat --busy-cores K`: a real CPU load next to the lab, to measure flakiness.
        Binary("stress-ng", "stress-ng", "apt-get install -y stress-ng"),
        Binary(
            "toxiproxy-server",
            None,
            f"GOBIN=<dir on PATH> go install {TOXIPROXY_MODULE} "
            "(the binary is named `server`: rename it to toxiproxy-server)",
        ),
    ]
}


def tools_dir() -> Path:
    """Where `chaoslab setup` puts binaries it builds itself (Toxiproxy)."""
    from chaoslab.homes import cache_home

    return cache_home() / "tools" / "bin"


def _postgres_bin_dirs() -> list[str]:
    # Debian keeps the server binaries off PATH, one folder per major version.
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def find_binary(name: str) -> str:
    """The absolute path of ``name``, or an error that says how to install it."""
    dirs = [str(tools_dir())]
    if name in {"initdb", "postgres", "pg_isready", "pg_ctl"}:
        # Prefer the matching server folder so initdb and postgres agree on the version.
        dirs = _postgres_bin_dirs() + dirs
    for directory in dirs:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    binary = BINARIES.get(name)
    hint = binary.install_hint if binary else f"install {name}"
    raise EnvironmentProblem(
        f"The lab needs `{name}`, which is not on PATH"
        + (" nor in /usr/lib/postgresql/*/bin" if name in {"initdb", "postgres"} else "")
        + f" nor in {tools_dir()}.",
        hint=f"run `chaoslab setup` (Debian) or: {hint}",
    )


def missing_binaries() -> list[str]:
    """Names of the needed programs that cannot be found."""
    missing = []
    for name in BINARIES:
        try:
            find_binary(name)
        except EnvironmentProblem:
            missing.append(name)
    return missing


def install_missing(echo=print) -> list[str]:
    """Install what is missing (apt on Debian, `go install` for Toxiproxy); return what was done."""
    missing = missing_binaries()
    done: list[str] = []
    packages = sorted({pkg for m in missing if (pkg := BINARIES[m].apt_package)})
    if packages:
        if not shutil.which("apt-get"):
            raise EnvironmentProblem(
                f"Missing {', '.join(packages)} and this is not a Debian-like system.",
                hint="; ".join(BINARIES[m].install_hint for m in missing),
            )
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        echo(f"installing Debian packages: {' '.join(packages)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            check=True,
            env=env,
        )
        done += packages
    if "toxiproxy-server" in missing:
        go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
        if not go:
            raise EnvironmentProblem(
                "Toxiproxy is missing and Go is not installed to build it.",
                hint=f"install Go, then: go install {TOXIPROXY_MODULE}",
            )
        target = tools_dir()
        target.mkdir(parents=True, exist_ok=True)
        echo(f"building Toxiproxy: go install {TOXIPROXY_MODULE}")
        subprocess.run(
            [go, "install", TOXIPROXY_MODULE], check=True, env={**os.environ, "GOBIN": str(target)}
        )
        (target / "server").replace(target / "toxiproxy-server")
        done.append("toxiproxy-server")
    still = missing_binaries()
    if still:
        raise EnvironmentProblem(
            f"After setup these are still missing: {', '.join(still)}.",
            hint="; ".join(BINARIES[m].install_hint for m in still),
        )
    return done
