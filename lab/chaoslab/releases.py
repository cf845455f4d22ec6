"""Releases: each run serves its apps from a working copy that can be patched, redeployed and rolled back.

A bad release is a patch applied to the working copy (``run/src/services/...``)
followed by a restart, the way a deploy replaces the code a service runs. The
learner can read the deployed code there, edit it and `chaoslab deploy` it, or
`chaoslab rollback` to the pristine release shipped with the lab.

What a person wrote is never lost: the lab keeps a digest of each service's code as it
last wrote it (``.lab-written.json``), and before it overwrites a working copy that
differs (a rollback), it saves that code as a patch against the shipped release,
``<service>.edits-<timestamp>.patch`` beside ``services/``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from chaoslab.atomic import write_atomically
from chaoslab.errors import UsageError
from chaoslab.shipped import SERVICES

PRISTINE = SERVICES
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")
# Per service, the digest of its code as the lab last wrote it into the working copy.
WRITTEN_RECORD = ".lab-written.json"
_PATCHED_SERVICE = re.compile(r"^diff --git a/services/([^/]+)/", re.MULTILINE)


def _code_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def code_digest(root: Path) -> str:
    """A digest of the code under ``root``: file names and contents, bytecode left out."""
    digest = hashlib.sha256()
    for path in _code_files(root):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root)}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _written(source_dir: Path) -> dict[str, str]:
    try:
        return json.loads((source_dir / WRITTEN_RECORD).read_text())
    except FileNotFoundError:
        return {}


def mark_written(source_dir: Path, services: Iterable[str]) -> None:
    """Record the services' code, as it is now, as the lab's own writing (no person's edits in it)."""
    record = _written(source_dir)
    for service in services:
        if (source_dir / "services" / service).is_dir():
            record[service] = code_digest(source_dir / "services" / service)
    write_atomically(source_dir / WRITTEN_RECORD, json.dumps(record, indent=2, sort_keys=True))


def edited(source_dir: Path, service: str) -> bool:
    """Whether a person changed the service's working copy since the lab last wrote it."""
    deployed = source_dir / "services" / service
    if not deployed.is_dir():
        return False
    written = _written(source_dir).get(service)
    if written is None:
        # A working copy from before the lab kept a record: only the shipped release can tell.
        return code_digest(deployed) != code_digest(PRISTINE / service)
    return code_digest(deployed) != written


def create_working_copy(source_dir: Path) -> None:
    """Copy the shipped services into the run's working copy."""
    shutil.copytree(PRISTINE, source_dir / "services", ignore=_IGNORE, dirs_exist_ok=True)
    mark_written(source_dir, (path.name for path in PRISTINE.iterdir() if path.is_dir()))


def service_dir(source_dir: Path, service: str) -> Path:
    """Where a service's deployed code lives in the working copy."""
    path = source_dir / "services" / service
    if not path.is_dir():
        raise UsageError(f"No deployable code for service {service!r} in {source_dir / 'services'}.")
    return path


def apply_patch(source_dir: Path, patch: Path, *, reverse: bool = False) -> None:
    """Apply (or take back) a unified diff whose paths start at the repository root (a/services/...)."""
    # A service a person had edited stays "edited" after the patch: those edits are still theirs.
    untouched = [s for s in set(_PATCHED_SERVICE.findall(patch.read_text())) if not edited(source_dir, s)]
    argv = ["git", "apply", "--whitespace=nowarn", *(["-R"] if reverse else []), str(patch)]
    result = subprocess.run(argv, cwd=source_dir, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise UsageError(
            f"The release patch {patch.name} does not apply to the deployed code: {result.stderr.strip()}",
            hint="the working copy was edited by hand; `chaoslab rollback SERVICE` restores it "
            "(and saves your edits as a patch first).",
        )
    mark_written(source_dir, untouched)


def edits_patch(source_dir: Path, service: str) -> str:
    """The working copy of ``service`` as a patch against the shipped release (paths a/services/...).

    ``git apply`` in the working copy's folder turns the shipped release back into this code.
    """
    deployed = service_dir(source_dir, service)
    with tempfile.TemporaryDirectory(prefix="chaoslab-edits-") as scratch:
        # Both trees under one folder, so the patch names services/<service>/... as release patches do.
        shutil.copytree(PRISTINE / service, Path(scratch) / "a" / "services" / service, ignore=_IGNORE)
        shutil.copytree(deployed, Path(scratch) / "b" / "services" / service, ignore=_IGNORE)
        result = subprocess.run(
            ["git", "diff", "--no-index", "--no-prefix", "--binary", "--",
             f"a/services/{service}", f"b/services/{service}"],
            cwd=scratch, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if result.returncode not in (0, 1):  # 1: the trees differ
        raise UsageError(f"Could not diff the working copy of {service}: {result.stderr.strip()}")
    return result.stdout


def save_edits(source_dir: Path, service: str) -> Path | None:
    """Save a person's edits to a service's working copy as ``<service>.edits-<time>.patch``; None if none.

    The patch is against the shipped release, so after a rollback ``git apply`` in
    ``source_dir`` brings the edited code back as it was.
    """
    if not edited(source_dir, service):
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = source_dir / f"{service}.edits-{stamp}.patch"
    number = 1
    while path.exists():
        number += 1
        path = source_dir / f"{service}.edits-{stamp}-{number}.patch"
    path.write_text(edits_patch(source_dir, service))
    return path


def restore(source_dir: Path, service: str) -> Path | None:
    """Put the shipped code of ``service`` back in the working copy; where a person's edits were saved.

    Edits made since the lab last wrote the code are saved first (``save_edits``); the
    returned path is that patch, or None when there was nothing of a person's to keep.
    """
    target = service_dir(source_dir, service)
    saved = save_edits(source_dir, service)
    shutil.rmtree(target)
    shutil.copytree(PRISTINE / service, target, ignore=_IGNORE)
    mark_written(source_dir, [service])
    return saved


def diff(source_dir: Path, service: str) -> str:
    """What the deployed code changes against the shipped release, as a unified diff."""
    result = subprocess.run(
        ["git", "diff", "--no-index", "--", str(PRISTINE / service), str(service_dir(source_dir, service))],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout
