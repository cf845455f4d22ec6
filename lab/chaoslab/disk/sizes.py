"""Byte counts and their spelling: `20G` in, `1.2 GB` out."""

from __future__ import annotations

import os
import re
from pathlib import Path

from chaoslab.errors import UsageError

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str, *, what: str) -> int:
    """Bytes from `20G`, `500M`, `1.5T` or a plain byte count (binary units, as `du -h`)."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(
            f"{what} must be a size like 20G, 500M or 1.5T, not {text!r}.",
            hint="units are K, M, G, T (powers of 1024); a bare number is bytes.",
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def human(size: float) -> str:
    """``size`` bytes for people: 615.2 MB, 18.0 GB (powers of 1024, as `du -h`)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def tree_bytes(path: Path) -> int:
    """Bytes a file or folder holds on disk (allocated blocks, as `du`; links not followed)."""
    try:
        top = path.lstat()
    except FileNotFoundError:
        return 0
    if not path.is_dir() or path.is_symlink():
        return top.st_blocks * 512
    total = top.st_blocks * 512
    stack = [str(path)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue  # removed while we counted, or not ours to read
        with entries:
            for entry in entries:
                try:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                except FileNotFoundError:
                    continue
    return total
