"""One typed record per run of a repeat, made from the run's outcome, and their JSON form."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from chaoslab.end_to_end import RunOutcome
from chaoslab.probes import Value


def as_json_data(obj: Any) -> Any:
    """Dataclasses, pydantic models, mappings, sequences as plain JSON values (inf and nan as text)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_json_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {str(k): as_json_data(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [as_json_data(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no inf or nan
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)


def _fields(obj: object) -> dict[str, Any]:
    # Every field, including ones added after this module was written (a check's baseline…).
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return dict(vars(obj))


@dataclass
class FailedCheck:
    """A check that did not hold, with the value seen."""

    phase: str
    label: str
    condition: str
    value: Value
    error: str | None = None
    # Fields of the check result beyond these (a baseline, say), carried along as they are.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PhaseRecord:
    """One phase of one run: verdict, duration, the summary probes' values, the failed checks."""

    name: str
    ok: bool
    elapsed_s: float
    summary: dict[str, Value] = field(default_factory=dict)
    failed_checks: list[FailedCheck] = field(default_factory=list)
    firing: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """One run of the repeat."""

    seed: int
    variant: str
    ok: bool
    run_id: str | None
    error: str | None
    # Wall time of the whole run, start-up and stop included.
    seconds: float
    phases: list[PhaseRecord] = field(default_factory=list)
    # The settings the run sized from the machine's speed (RunOutcome.calibration).
    calibration: list[Any] = field(default_factory=list)
    # Whether stress-ng was still running when the run ended; None without busy cores.
    busy_load_held: bool | None = None

    def first_failure(self) -> FailedCheck | None:
        """The first check that did not hold, in phase order."""
        for phase in self.phases:
            if phase.failed_checks:
                return phase.failed_checks[0]
        return None


_CHECK_FIELDS = {"label", "condition", "value", "held", "error", "at_s"}


_PHASE_FIELDS = {"name", "ok", "elapsed_s", "checks", "summary", "firing"}


def record_of(outcome: RunOutcome, seconds: float, busy_load_held: bool | None = None) -> RunRecord:
    """A run's outcome as a record; fields the outcome gains later come along in ``extra``."""
    phases = []
    for phase in outcome.phases:
        failed = [
            FailedCheck(
                phase=phase.name,
                label=check.label,
                condition=check.condition,
                value=check.value,
                error=getattr(check, "error", None),
                extra={k: as_json_data(v) for k, v in _fields(check).items() if k not in _CHECK_FIELDS},
            )
            for check in phase.checks
            if not check.held
        ]
        phases.append(
            PhaseRecord(
                name=phase.name,
                ok=phase.ok,
                elapsed_s=round(phase.elapsed_s, 2),
                summary=dict(phase.summary),
                failed_checks=failed,
                firing=list(getattr(phase, "firing", [])),
                extra={k: as_json_data(v) for k, v in _fields(phase).items() if k not in _PHASE_FIELDS},
            )
        )
    return RunRecord(
        seed=outcome.seed,
        variant=outcome.variant,
        ok=outcome.ok,
        run_id=outcome.run_id,
        error=outcome.error,
        seconds=round(seconds, 2),
        phases=phases,
        calibration=as_json_data(outcome.calibration),
        busy_load_held=busy_load_held,
    )
