"""Time to detect, mitigate and resolve from timeline events, as docs/gameday.md defines them."""

from __future__ import annotations

from chaoslab.reports.metrics import firing_spans
from chaoslab.reports.timings import compute_timings, format_duration

T0 = 1000.0


def event(offset: float, name: str, **fields: object) -> dict:
    return {"ts": T0 + offset, "event": name, **fields}


INCIDENT = [
    event(-30, "lab_starting"),
    event(-5, "ack", note="too early: before the fault, ignored"),
    event(0, "fault_injected", what="flag on"),
    event(10, "ack", note="we see it"),
    event(12, "hint_shown", number=1, by="learner"),
    event(20, "mitigation_applied", mitigation="flag-off"),
    event(21, "mitigated", note="flag off"),
    event(30, "verified", ok=False, by="learner"),
    event(39, "resolved", note="index"),
    event(40, "verified", ok=True, by="learner"),
    event(45, "lab_down"),
    # Appended at lab_down from Prometheus, so out of file order.
    event(8, "alert_fired", alert="APIServiceP99Latency"),
    event(38, "alert_resolved", alert="APIServiceP99Latency"),
]


def test_times_run_from_the_injection() -> None:
    t = compute_timings(INCIDENT)
    assert t.injected_at == T0
    assert (t.ttd, t.detected_by) == (10, "ack")
    assert (t.ttm, t.mitigated_by) == (20, "mitigation flag-off")
    assert t.ttr == 40 and t.verified
    assert t.time_to_alert == 8
    assert t.time_to_ack == 10
    assert t.since_injection(t.declared_resolved_at) == 39
    assert t.hints_used == 1
    assert t.ended_at == T0 + 45


def test_without_an_ack_the_first_alert_detects() -> None:
    t = compute_timings([e for e in INCIDENT if e["event"] != "ack"])
    assert (t.ttd, t.detected_by) == (8, "alert")
    assert t.time_to_ack is None


def test_a_declaration_before_the_action_counts_and_recovery_implies_mitigation() -> None:
    declared_first = [*INCIDENT, event(15, "mitigated", note="rolled back the flag by hand")]
    assert compute_timings(declared_first).ttm == 15
    only_resolved = [e for e in INCIDENT if e["event"] not in ("mitigation_applied", "mitigated")]
    t = compute_timings(only_resolved)
    assert (t.ttm, t.mitigated_by) == (40, "the verified recovery")


def test_the_reference_fix_mitigates_and_a_failed_verify_does_not_resolve() -> None:
    events = [event(0, "fault_injected"), event(22, "fix_applied"), event(30, "verified", ok=False)]
    t = compute_timings(events)
    assert (t.ttm, t.ttr, t.verified) == (22, None, False)
    assert "reference fix" in (t.mitigated_by or "")


def test_a_run_without_a_fault_has_no_clock() -> None:
    t = compute_timings([event(0, "lab_starting"), event(5, "ack"), event(9, "hint_shown")])
    assert t.injected_at is None and t.ttd is None and t.ttr is None and t.hints_used == 1


def test_durations_read_well() -> None:
    assert format_duration(None) == "—"
    assert format_duration(9.4) == "9 s"
    assert format_duration(185) == "3 min 05 s"


def test_alert_spans_from_firing_samples() -> None:
    # Samples every 2 s; a gap of more than one step splits spans; the last one is still firing.
    samples = [10, 12, 14, 30, 32, 50, 52]
    assert firing_spans(samples, 2, still_firing_after=51) == [(10, 16), (30, 34), (50, None)]
    assert firing_spans([], 2, still_firing_after=0) == []
