"""Time to detect, mitigate and resolve, computed from a run's timeline (definitions: docs/gameday.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Lab-recorded actions that stop the bleeding, and how the report names them.
MITIGATING_ACTIONS = {
    "mitigation_applied": lambda e: f"mitigation {e.get('mitigation')}",
    "fix_applied": lambda e: "the reference fix, `chaoslab fix`",
    "rolled_back": lambda e: f"rollback of {e.get('service')}",
}


@dataclass(frozen=True)
class Timings:
    """The incident's clock: absolute timestamps, and durations measured from the injection."""

    injected_at: float | None = None
    first_alert_at: float | None = None
    acked_at: float | None = None
    mitigated_at: float | None = None
    mitigated_by: str | None = None
    resolved_at: float | None = None
    declared_resolved_at: float | None = None
    hints_used: int = 0
    ended_at: float | None = None

    @property
    def detected_at(self) -> float | None:
        """The team's acknowledgement; without one (an unattended run), the first alert."""
        return self.acked_at if self.acked_at is not None else self.first_alert_at

    @property
    def detected_by(self) -> str | None:
        if self.acked_at is not None:
            return "ack"
        return "alert" if self.first_alert_at is not None else None

    def since_injection(self, ts: float | None) -> float | None:
        """Seconds from the injection to ``ts``."""
        if ts is None or self.injected_at is None:
            return None
        return ts - self.injected_at

    @property
    def ttd(self) -> float | None:
        return self.since_injection(self.detected_at)

    @property
    def ttm(self) -> float | None:
        return self.since_injection(self.mitigated_at)

    @property
    def ttr(self) -> float | None:
        return self.since_injection(self.resolved_at)

    @property
    def time_to_ack(self) -> float | None:
        """The team's own detection: what the game-day score counts."""
        return self.since_injection(self.acked_at)

    @property
    def time_to_alert(self) -> float | None:
        return self.since_injection(self.first_alert_at)

    @property
    def verified(self) -> bool:
        return self.resolved_at is not None


def _first(events: list[dict[str, Any]], name: str, after: float, **match: Any) -> dict[str, Any] | None:
    return next(
        (
            e
            for e in events
            if e["event"] == name and e["ts"] >= after and all(e.get(k) == v for k, v in match.items())
        ),
        None,
    )


def compute_timings(events: list[dict[str, Any]]) -> Timings:
    """The incident's timings from its timeline events (in any order)."""
    events = sorted(events, key=lambda e: e["ts"])
    injected = _first(events, "fault_injected", after=0)
    hints = sum(1 for e in events if e["event"] == "hint_shown")
    down = _first(events, "lab_down", after=0)
    if injected is None:
        return Timings(hints_used=hints, ended_at=down["ts"] if down else None)
    t0 = injected["ts"]
    alert = _first(events, "alert_fired", t0)
    ack = _first(events, "ack", t0)
    verified = _first(events, "verified", t0, ok=True)
    declared = _first(events, "resolved", t0)
    candidates: list[tuple[float, str]] = []
    if (said := _first(events, "mitigated", t0)) is not None:
        candidates.append((said["ts"], "declared by the team, `chaoslab mitigated`"))
    for name, describe in MITIGATING_ACTIONS.items():
        if (action := _first(events, name, t0)) is not None:
            candidates.append((action["ts"], describe(action)))
    if verified is not None:
        candidates.append((verified["ts"], "the verified recovery"))
    mitigated_at, mitigated_by = min(candidates) if candidates else (None, None)
    return Timings(
        injected_at=t0,
        first_alert_at=alert["ts"] if alert else None,
        acked_at=ack["ts"] if ack else None,
        mitigated_at=mitigated_at,
        mitigated_by=mitigated_by,
        resolved_at=verified["ts"] if verified else None,
        declared_resolved_at=declared["ts"] if declared else None,
        hints_used=hints,
        ended_at=down["ts"] if down else None,
    )


def format_duration(seconds: float | None) -> str:
    """12 s, 3 min 05 s, or — when it never happened."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
