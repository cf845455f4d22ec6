"""One verdict document for every consumer: `verify --json`, the pytest plugin, JUnit.

A phase as `observe()` returned it, with `dataclasses.asdict`, so a field added to a
check (its `baseline`, its `threshold`) reaches every consumer without a change to any.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from chaoslab.scenarios.observe import PhaseResult


def verdict_document(phase: PhaseResult, *, run: str, scenario: str) -> dict[str, Any]:
    """``{"verified": ok, "run", "scenario", "name", "elapsed_s", "checks": [...], ...}``.

    >>> verdict_document(phase, run="20261130-…", scenario="db-pool-exhaustion")["verified"]
    """
    fields = dataclasses.asdict(phase)
    fields.pop("ok", None)
    return {"verified": phase.ok, "run": run, "scenario": scenario, **fields}
