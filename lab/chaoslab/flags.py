"""Feature flags: the flagd flag-definition file the services read through OpenFeature."""

from __future__ import annotations

import json
from pathlib import Path

from chaoslab.atomic import write_atomically

SCHEMA = "https://flagd.dev/schema/v0/flags.json"


class FlagStore:
    """Reads and writes a run's flags.json (flagd's format, boolean flags)."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, flags: dict[str, bool]) -> None:
        """Replace the whole file; atomic, so a service never reads half a file."""
        body = {
            "$schema": SCHEMA,
            "flags": {
                name: {
                    "state": "ENABLED",
                    "variants": {"on": True, "off": False},
                    "defaultVariant": "on" if enabled else "off",
                }
                for name, enabled in sorted(flags.items())
            },
        }
        write_atomically(self.path, json.dumps(body, indent=2) + "\n")

    def read(self) -> dict[str, bool]:
        """Every flag and whether it is on."""
        try:
            body = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return {
            name: flag.get("state") == "ENABLED" and flag["variants"][flag["defaultVariant"]] is True
            for name, flag in body.get("flags", {}).items()
        }

    def set(self, name: str, enabled: bool) -> bool:
        """Turn one flag on or off; returns its previous value."""
        flags = self.read()
        previous = flags.get(name, False)
        flags[name] = enabled
        self.write(flags)
        return previous
