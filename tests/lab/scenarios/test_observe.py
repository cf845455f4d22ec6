"""Alert expectations of a phase, the silent incident included."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chaoslab.scenarios.model import Expectation
from chaoslab.scenarios.observe import _alert_results, _Poll, _settled, worse_of


def silent(within: int | None = None) -> Expectation:
    return Expectation(within_s=60, alerts_silent=True, alerts_within_s=within)


def test_silence_holds_once_the_alerts_had_their_time_to_fire() -> None:
    [early] = _alert_results(silent(30), set(), {}, elapsed_s=12)
    [late] = _alert_results(silent(30), set(), {}, elapsed_s=31)
    assert (early.held, late.held) == (False, True)
    assert late.label == "alerts" and late.condition == "none fires for 30s" and late.value == "none"


def test_any_alert_that_fired_breaks_the_silence_even_once_resolved() -> None:
    [result] = _alert_results(silent(), set(), {"ProfileAPIP99Latency": 4.0}, elapsed_s=40)
    assert not result.held and result.value == "ProfileAPIP99Latency" and result.at_s == 4.0


def test_a_steady_state_is_silent_once_a_start_up_alert_has_resolved() -> None:
    """Not latched (baseline, recovery): what counts is what fires now, in the poll that holds."""
    started_up = {"APIServiceP99Latency": 0.0}
    [resolving] = _alert_results(silent(), {"APIServiceP99Latency"}, started_up, latch=False)
    [resolved] = _alert_results(silent(), set(), started_up, elapsed_s=9, latch=False)
    assert not resolving.held and resolving.value == "APIServiceP99Latency"
    assert resolved.held and resolved.value == "none"


def test_without_silence_no_alert_check_is_added() -> None:
    assert _alert_results(Expectation(within_s=60), {"X"}, {"X": 1.0}, elapsed_s=5) == []


def test_silence_and_expected_alerts_contradict() -> None:
    with pytest.raises(ValidationError, match="alerts_silent contradicts alerts_firing"):
        Expectation(within_s=60, alerts_silent=True, alerts_firing=["APIServiceP99Latency"])


def settling(for_s: int = 10, tolerance: float = 0.1) -> Expectation:
    return Expectation(within_s=60, settle={"probe": "rps", "for_s": for_s, "tolerance": tolerance})


def polls(levels: list[float], ok: bool = True, every_s: float = 2.0) -> list[_Poll]:
    return [_Poll(at=i * every_s, ok=ok, values={"rps": level}) for i, level in enumerate(levels)]


def test_a_ramping_load_has_not_settled() -> None:
    """A rate over a 20 s window climbs for 20 s after the users start: no baseline yet."""
    ramp = polls([30, 40, 50, 60, 70, 80])
    assert _settled(settling(), ramp) is None


def test_a_load_at_its_level_for_the_whole_span_has_settled() -> None:
    steady = polls([30, 60, 84, 86, 85, 87, 86, 85])
    span = _settled(settling(), steady)
    assert span is not None and [p.values["rps"] for p in span] == [84, 86, 85, 87, 86, 85]


def test_a_span_too_short_or_with_a_failing_check_does_not_count() -> None:
    short = polls([85, 86])
    assert _settled(settling(), short) is None
    failing = polls([85, 86, 85, 86, 85, 86])
    failing[3].ok = False
    assert _settled(settling(), failing) is None


def test_no_traffic_is_no_steady_state() -> None:
    idle = polls([0, 0, 0, 0, 0, 0])
    assert _settled(settling(), idle) is None


def test_slow_polls_settle_over_fewer_of_them() -> None:
    """A probe placing real orders makes each poll take seconds: the span is then two polls."""
    slow = polls([14.0, 14.6, 14.4], every_s=11.0)
    span = _settled(settling(), slow)
    assert span is not None and len(span) == 2


def test_polls_a_little_over_two_seconds_apart_still_settle() -> None:
    """Seen in CI: a probe placing real orders spaced the polls 2.8 s apart, and a span cut
    at for_s + 1 s never covered the 10 s it asked for; the baseline failed after 90 s."""
    spaced = polls([14.7, 14.4, 14.2, 14.7, 14.7, 14.4], every_s=2.8)
    span = _settled(settling(), spaced)
    assert span is not None and span[-1].at - span[0].at >= 9


def test_a_fault_phase_keeps_each_probes_worst_reading_by_its_direction() -> None:
    """Latency is worst at its highest, click-through at its lowest; a number beats none."""
    assert worse_of(0.05, 2.4, "higher") == 2.4
    assert worse_of(0.61, 0.32, "lower") == 0.32
    assert worse_of(0.32, 0.61, "lower") == 0.32
    assert worse_of(None, 0.4, "lower") == 0.4
    assert worse_of(0.4, None, "higher") == 0.4
