"""The database templates in the cache home: when each was last used, how big it is, and its lock.

A template is only read while a lab copies it (`cp -a`, ~1 s); after that the lab runs on
its own copy. So "in use" means being built or copied: builders hold the folder's lock
exclusively and copiers hold it shared (lab/chaoslab/specs/catalog/postgres.py), and whoever removes a
template takes it exclusively. On top of that, a template used within the last
`RECENT_USE_S` is never evicted, so a lab that has just chosen one (of any state home: the
cache is shared) can still copy it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chaoslab.disk.sizes import tree_bytes

# The stamp's mtime is the last use; its text is the template's size, so the budget needs no `du`.
USE_STAMP = ".last-used"
LOCK_NAME = ".lock"
RECENT_USE_S = 15 * 60


def templates_root(cache: Path) -> Path:
    """The folder of every database template."""
    return cache / "postgres"


@contextlib.contextmanager
def template_lock(root: Path, *, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """Hold the templates' lock; yields False when ``wait`` is off and someone else holds it."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_NAME).open("a") as handle:
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, mode)
        except BlockingIOError:
            yield False
            return
        yield True


@dataclass
class Template:
    """One cached template folder."""

    path: Path
    bytes: int
    last_used: float

    @property
    def name(self) -> str:
        return self.path.name

    def recently_used(self, now: float) -> bool:
        return now - self.last_used < RECENT_USE_S


def record_use(template: Path, *, size: int | None = None) -> None:
    """Stamp ``template`` as used now (and remember its size when given, e.g. after a build)."""
    stamp = template / USE_STAMP
    if size is not None or not stamp.exists():
        stamp.write_text(str(tree_bytes(template) if size is None else size))
    os.utime(stamp)


def read_template(path: Path) -> Template:
    """A template's size and last use, from its stamp (a template older than stamps: measured)."""
    stamp = path / USE_STAMP
    try:
        size = int(stamp.read_text())
        last_used = stamp.stat().st_mtime
    except (FileNotFoundError, ValueError):
        size, last_used = tree_bytes(path), path.stat().st_mtime
        # Stamped once, so the next budget check does not walk its thousands of files again.
        with contextlib.suppress(OSError):
            stamp.write_text(str(size))
            os.utime(stamp, (last_used, last_used))
    return Template(path, size, last_used)


def list_templates(root: Path) -> list[Template]:
    """Every template under ``root``, least recently used first (half-built ones included)."""
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        if path.is_dir() and not path.name.startswith("."):
            with contextlib.suppress(FileNotFoundError):
                found.append(read_template(path))
    return sorted(found, key=lambda t: t.last_used)


def remove_template(template: Template) -> bool:
    """Delete a template folder (the caller holds the lock exclusively); whether it is gone."""
    shutil.rmtree(template.path, ignore_errors=True)
    return not template.path.exists()
