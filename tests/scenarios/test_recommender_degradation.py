"""Mini-challenge 2 end to end: what feeds the model changes, relevance drops silently, the fix restores it.

The expectations are the chapter's, written here again (not read from scenario.yaml)
so that loosening the scenario file cannot make this test pass.
"""

from __future__ import annotations

import statistics

from chaoslab.runs import Run, Timeline
from chaoslab.scenarios.observe import PhaseResult
from tests.scenarios.outcomes import VariantRun, check, fault_window, series

SCENARIO = "recommender-degradation"
# What each variant's fix does, as the timeline records it.
FIX_KINDS = {
    "renamed-feature": ["rollback"],
    "feature-store-eviction": ["redis_config"],
    "index-version-mismatch": ["flag"],
}


def value(result: PhaseResult, label: str) -> float:
    found = check(result, label).value
    assert isinstance(found, int | float), (result.name, label, found)
    return float(found)


# Its variants' runs (tests/scenarios/test_variants.py) judge latency against the run's own baseline,
# so they share the machine with another test's lab like every other scenario test.
VARIANT_MARKS = ()


def check_variant(run_of_variant: VariantRun) -> None:
    """Relevance drops silently, and the fix restores it."""
    variant, outcome = run_of_variant.variant, run_of_variant.outcome
    baseline, symptoms, recovery = outcome.phases

    # Simulated people click what matches their hidden taste: the model serves them well.
    baseline_ctr = value(baseline, "click_through_rate")
    assert baseline_ctr > 0.5
    assert value(baseline, "fallback_ratio") == 0
    # Click-through drops by 30 % or more...
    assert value(symptoms, "click_through_rate") <= 0.7 * baseline_ctr
    # ...with no error anywhere, no alert, and CPU as usual,
    for result in outcome.phases:
        assert check(result, "alerts").held and result.firing == [], (result.name, check(result, "alerts"))
        assert value(result, "error_rate_5xx") == 0
    assert value(symptoms, "shop_error_rate_5xx") == 0
    assert symptoms.summary["error_rate_5xx"] == 0
    normal_cpu = max(value(baseline, "cpu_cores"), recovery.summary["cpu_cores"])
    assert symptoms.summary["cpu_cores"] <= 1.5 * normal_cpu
    # ...only the latency up, from ~100 ms to ~200 ms as in the chapter (the feature store is a
    # network hop away, and the fallback makes three lookups instead of one)...
    # Judged against this run's own settled baseline (the median over its span), not a latency
    # tuned to one machine; the lines are the chapter's 100 → 200 ms and the alert's 500 ms.
    baseline_p99, recovery_p99 = baseline.summary["p99_latency"], value(recovery, "p99_latency")
    worst = symptoms.summary["p99_latency"]
    print(f"{variant}: recommender P99 {baseline_p99:.3f} s → {worst:.3f} s → {recovery_p99:.3f} s")
    assert baseline_p99 < 0.5
    assert worst >= 0.12
    # What the fault adds moves every request: the median at least doubles (a shared host's P99
    # is its slowest moments, 0.21 s at baseline in one CI run).
    baseline_median = baseline.summary["median_latency"]
    assert symptoms.summary["median_latency"] >= max(0.06, 2 * baseline_median), baseline_median
    # "Slightly increased": RecommenderP99Latency never paged (above), and the P99 sat under its
    # 500 ms line for the fault's typical moment, the median of its samples from the injection to
    # the end of symptoms. Not the worst sample: one slow second of a shared host is a 30 s
    # window's P99 for 30 s (a CI run: 0.93 s at worst while the median latency was 149 ms).
    run = Run.load(outcome.run_id)
    events = Timeline(run.timeline_path).events()
    injected_at, _ = fault_window(events)
    measured = {e["phase"]: e["ts"] for e in events if e["event"] == "phase_measured"}
    symptoms_end = measured["symptoms"]
    during = [v for t, v in series(run, "p99_latency") if injected_at <= t <= symptoms_end]
    assert during and statistics.median(during) < 0.5, during
    # ...and the signals that tell: the service falls back to popular items.
    assert symptoms.summary["fallback_ratio"] > 0.5
    if variant == "index-version-mismatch":
        assert symptoms.summary["feature_missing_ratio"] == 0  # the features are there; the index is wrong
    else:
        assert symptoms.summary["feature_missing_ratio"] > 0.5

    # After the fix: click-through within 5 % of the baseline, P99 back near it.
    assert abs(value(recovery, "click_through_rate") - baseline_ctr) <= 0.05 * baseline_ctr
    assert value(recovery, "fallback_ratio") == 0
    assert recovery_p99 < max(0.15, 1.5 * baseline_p99)

    assert [e["variant"] for e in events if e["event"] == "fault_injected"] == [variant]
    assert [e["kind"] for e in events if e["event"] == "fix_applied"] == FIX_KINDS[variant]
