"""Releases: each run serves its apps from a working copy that can be patched, redeployed and rolled back.

A bad release is a patch applied to the working copy (``run/src/services/...``)
followed by a restart, the way a deploy replaces the code a service runs. The
learner can read the deployed code there, edit it and `chaoslab deploy` it, or
`chaoslab rollback` to the pristine release shipped with the lab.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from lab import PROJECT_ROOT
from lab.errors import UsageError

PRISTINE = PROJECT_ROOT / "services"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def create_working_copy(source_dir: Path) -> None:
    """Copy the shipped services into the run's working copy."""
    shutil.copytree(PRISTINE, source_dir / "services", ignore=_IGNORE, dirs_exist_ok=True)


def service_dir(source_dir: Path, service: str) -> Path:
    """Where a service's deployed code lives in the working copy."""
    path = source_dir / "services" / service
    if not path.is_dir():
        raise UsageError(f"No deployable code for service {service!r} in {source_dir / 'services'}.")
    return path


def apply_patch(source_dir: Path, patch: Path, *, reverse: bool = False) -> None:
    """Apply (or take back) a unified diff whose paths start at the repository root (a/services/...)."""
    argv = ["git", "apply", "--whitespace=nowarn", *(["-R"] if reverse else []), str(patch)]
    result = subprocess.run(argv, cwd=source_dir, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise UsageError(
            f"The release patch {patch.name} does not apply to the deployed code: {result.stderr.strip()}",
            hint="the working copy was edited by hand; `chaoslab rollback SERVICE` restores it.",
        )


def restore(source_dir: Path, service: str) -> None:
    """Put the shipped code of ``service`` back in the working copy."""
    target = service_dir(source_dir, service)
    shutil.rmtree(target)
    shutil.copytree(PRISTINE / service, target, ignore=_IGNORE)


def diff(source_dir: Path, service: str) -> str:
    """What the deployed code changes against the shipped release, as a unified diff."""
    result = subprocess.run(
        ["git", "diff", "--no-index", "--", str(PRISTINE / service), str(service_dir(source_dir, service))],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout
