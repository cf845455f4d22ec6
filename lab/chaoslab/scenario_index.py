"""The catalog as `chaoslab list` shows it, from validated scenarios, kept in the cache between calls.

Validating the six scenario files means building the whole pydantic schema (every fault and
probe kind): about 0.1 s of a `list` that should answer in a few tenths. The summary of the last
validation is kept in `<cache>/catalog.json` under a key that changes with any scenario file's
bytes and with the size or mtime of any source file of the `lab` package (the schema and its
validators live there), so a stale entry is never shown: any change and the scenarios are
validated again (and a broken file fails `list` with its file:line error, as before).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from chaoslab.shipped import SCENARIOS

LAB_DIR = Path(__file__).resolve().parent
INDEX_VERSION = 1


def scenarios_dir() -> Path:
    """Where the scenario folders are: the catalog's rule ($CHAOSLAB_SCENARIOS, else the shipped ones)."""
    return Path(os.environ.get("CHAOSLAB_SCENARIOS", SCENARIOS))


def _key(directory: Path) -> str:
    digest = hashlib.sha256(f"{INDEX_VERSION}:{sys.version}:{directory.resolve()}".encode())
    for path in sorted(directory.glob("*/scenario.yaml")):
        digest.update(f"\0{path.parent.name}\0".encode())
        digest.update(path.read_bytes())
    # The schema, its validators and the homes' rule files (alert names are checked against them).
    for path in sorted([*LAB_DIR.rglob("*.py"), *LAB_DIR.rglob("*.yml")]):
        stat = path.stat()
        digest.update(f"\0{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _entries() -> list[dict[str, Any]]:
    from chaoslab.scenarios import list_scenarios

    return [
        {
            "id": s.id,
            "title": s.title,
            "chapter": s.chapter,
            "difficulty": s.difficulty,
            "variants": [v.id for v in s.variants],
            "services": list(s.services),
        }
        for s in list_scenarios()
    ]


def catalog() -> list[dict[str, Any]]:
    """id, title, chapter, difficulty, variant ids and services of every scenario, sorted by id."""
    if "chaoslab.scenarios.catalog" in sys.modules:
        return _entries()  # the schema is built already: validating is cheap
    from chaoslab.atomic import write_atomically
    from chaoslab.homes import cache_home

    key = _key(scenarios_dir())
    path = cache_home() / "catalog.json"
    try:
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return cached["scenarios"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass  # no cache yet, or not ours: validate
    entries = _entries()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps({"key": key, "scenarios": entries}))
    except OSError:
        pass  # a read-only cache only costs the next `list` a validation
    return entries
