"""A run's changing state (state.json): what the lab has done to itself so far, typed.

Written by the lifecycle (phase, fault, baseline, calibration, hints) and by the live lab's
levers (overrides, generations), read by every later CLI call and by the supervisor or the
docker watcher (the session). Fields are added with a default, so an older state still reads.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chaoslab.runs.session import Session

# A probe's reading: a number, a flag, a text, or nothing yet (chaoslab.probes.base.Value).
Reading = float | bool | str | None


class RunState(BaseModel):
    """What state.json holds; unknown keys (a newer chaoslab's) are kept as they are."""

    model_config = ConfigDict(extra="allow")

    phase: Literal["up", "incident", "reverted", "fixed", "verified"] = "up"
    session: Session | None = Field(default=None, description="the lab's end; `chaoslab extend` moves it")
    load_on: bool = False
    calibration: list[dict[str, Any]] = Field(default_factory=list, description="settings sized on start")
    baseline: dict[str, Reading] = Field(default_factory=dict, description="probe → its steady value")
    baseline_ok: bool | None = None
    injected: bool = False
    injected_at: float | None = None
    fault_mementos: list[dict[str, Any]] = Field(default_factory=list, description="what revert needs")
    fixed_at: float | None = None
    hints_shown: int = Field(default=0, ge=0)
    # The live lab's levers: service → env changes, scrape job → change, service → liveness change,
    # service → restarts asked for (a redeploy bumps it).
    env_overrides: dict[str, dict[str, str]] = Field(default_factory=dict)
    scrape_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # int | float: a failure threshold stays 1, not 1.0 (the spec's fingerprint compares it).
    liveness_overrides: dict[str, dict[str, int | float]] = Field(default_factory=dict)
    generations: dict[str, int] = Field(default_factory=dict)
