"""When each of our images was last used by a lab: the docker runtime stamps it at each start.

The engine knows when an image was made, not when a lab last ran it. Sizes are kept here too,
so a local lab's budget check never needs the engine (the disk budget, `chaoslab disk` and
`prune` read this).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from pathlib import Path

from chaoslab.atomic import write_atomically

USE_FILE = "image-use.json"


def use_file(cache: Path) -> Path:
    return cache / "docker" / USE_FILE


def read_uses(cache: Path) -> dict[str, dict[str, float]]:
    """reference -> {"last_used": epoch seconds, "bytes": size} as recorded by labs."""
    try:
        data = json.loads(use_file(cache).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_use(cache: Path, sizes: dict[str, int]) -> None:
    """Stamp the references in ``sizes`` (reference -> bytes) as used now."""
    uses = read_uses(cache)
    stamp = time.time()
    for ref, size in sizes.items():
        uses[ref] = {"last_used": stamp, "bytes": size}
    path = use_file(cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(uses, indent=2, sort_keys=True))


def forget(cache: Path, refs: Iterable[str]) -> None:
    """Drop removed images from the record."""
    uses = read_uses(cache)
    for ref in refs:
        uses.pop(ref, None)
    with contextlib.suppress(FileNotFoundError):
        write_atomically(use_file(cache), json.dumps(uses, indent=2, sort_keys=True))


def recorded_bytes(cache: Path) -> int:
    """What the recorded images weigh, without asking the engine (shared layers counted per image)."""
    return sum(int(entry.get("bytes", 0)) for entry in read_uses(cache).values())
