"""The flag file the lab writes is flagd's format and round-trips."""

from __future__ import annotations

import json
from pathlib import Path

from chaoslab.flags import FlagStore


def test_flags_round_trip_in_flagd_format(tmp_path: Path) -> None:
    store = FlagStore(tmp_path / "flags.json")
    store.write({"browse-by-category": False})
    assert store.set("browse-by-category", True) is False
    assert store.read() == {"browse-by-category": True}
    body = json.loads((tmp_path / "flags.json").read_text())
    flag = body["flags"]["browse-by-category"]
    assert body["$schema"].startswith("https://flagd.dev/schema")
    assert flag["variants"][flag["defaultVariant"]] is True
