"""Mini-challenge 1 end to end: every cause of the restarts gives the chapter's 503s, and its fix ends them.

The expectations are the chapter's, written here again (not read from scenario.yaml)
so that loosening the scenario file cannot make this test pass.
"""

from __future__ import annotations

import itertools
import re

import pytest

from chaoslab.runs import Run, Timeline
from tests.scenarios.outcomes import VariantRun, check, fault_window, latency_between, series

SCENARIO = "checkout-crashloop"
# How each cause ends the process, as the runtime records it: (exit code, reason).
LAST_EXIT = {
    "memory-leak": ("137", "OOMKilled"),
    "strict-liveness": (None, "Unhealthy: liveness probe failed"),
    "poison-cart": ("1", "Error"),
}
TIMELINE_EVENT = {
    "memory-leak": "service_oom_killed",
    "strict-liveness": "service_liveness_failed",
    "poison-cart": "service_exited",
}


def value_at(points: list[tuple[float, float]], ts: float) -> float:
    """The last recorded value at or before ``ts``."""
    return [v for t, v in points if t <= ts][-1]


# Its variants' runs (tests/scenarios/test_variants.py) judge latency against the run's own baseline,
# so they share the machine with another test's lab like every other scenario test.
VARIANT_MARKS = ()


def check_variant(run_of_variant: VariantRun) -> None:
    """Every cause of the restarts gives 503s on checkout, and its fix ends them."""
    variant, outcome = run_of_variant.variant, run_of_variant.outcome
    baseline, symptoms, recovery = outcome.phases
    run = Run.load(outcome.run_id)
    events = Timeline(run.timeline_path).events()
    phase_end = {e["phase"]: e["ts"] for e in events if e["event"] == "phase_measured"}
    injected_at, fixed_at = fault_window(events)

    # Steady state: no restart, no 503, every acknowledged order in the database.
    assert check(baseline, "checkout_restarts").value == 0
    assert check(baseline, "checkout_5xx_ratio").value < 0.005
    assert check(baseline, "orders_lost").value == 0

    # The chapter's symptoms: about one checkout in eight gets a 503 while the rest of the API
    # stays fast, and the checkout service restarts again and again, for a reason one can read.
    ratio = value_at(series(run, "checkout_5xx_ratio"), phase_end["symptoms"])
    print(f"{variant}: checkout 5xx ratio over the 30 s before the end of symptoms: {ratio:.1%}")
    assert 0.05 <= ratio <= 0.25, ratio
    # "Your API service metrics show normal latency": the rest of the API's requests while the fault
    # was in, against the same requests of the baseline phase, both from the shop's access log
    # (a 30 s P99 window straddles the injection: in one CI run a host stall 8 s before it read as
    # 0.33 s for 25 s of the fault). The typical request is as fast as before. The slowest ones are
    # not: each restart boots a Python worker on the same 2 cores, and the requests of those
    # seconds wait (P99 40-192 ms in the fault on a quiet host; 528 ms on a CI host slow enough
    # that the shop's baseline P99 read 177 ms), but never the seconds of an exhausted pool.
    baseline_from = phase_end["baseline"] - baseline.elapsed_s
    before = latency_between(run, "shop", baseline_from, injected_at, but_route="/checkout")
    during = latency_between(run, "shop", injected_at, fixed_at, but_route="/checkout")
    print(f"{variant}: the rest of the API before the fault {before}, between fault and fix {during}")
    assert during.median <= max(2 * before.median, before.median + 0.025), (before, during)
    assert during.p99 < max(0.25, 4 * before.p99), (before, during)
    assert check(symptoms, "checkout_restarts").value >= 3
    code, reason = LAST_EXIT[variant]
    last_exit = str(check(symptoms, "checkout_last_exit").value)
    assert last_exit.endswith(reason), last_exit
    if code is not None:
        assert last_exit.split()[0] == code, last_exit
    # No crash, whenever it struck, made the shop acknowledge an order it did not commit.
    assert check(symptoms, "orders_lost").value == 0
    exits = [e for e in events if e["event"] == "service_exited" and e["service"] == "checkout"]
    assert len(exits) >= 3 and all(e["reason"] == reason for e in exits if e["ts"] < fixed_at)
    assert [e for e in events if e["event"] == TIMELINE_EVENT[variant] and e["service"] == "checkout"]

    if variant == "memory-leak":
        # The saw-tooth: the worker's memory climbs under load, and drops at each OOM kill.
        memory = [(t, v) for t, v in series(run, "checkout_memory") if injected_at <= t <= fixed_at]
        # A tooth's edge is a fall of 15 % or more between two samples: a kill, then a fresh worker
        # (the leaking worker only grows). Neither side need be sampled at its extreme: the sample
        # before a kill may still be climbing, the one after may come when the new worker has already
        # served a few checkouts (CI: 102 -> 79 MiB, 2 s apart, at about 12 MiB/s of leak).
        drops = [(a, b) for (_, a), (_, b) in itertools.pairwise(memory) if b < a * 0.85]
        shown = ", ".join(f"{v / 2**20:.0f}" for _, v in memory)
        assert len(drops) >= 2, f"memory (MiB) between injection and fix: {shown}"
        # The teeth climb well above the worker's own memory before the fault (~55 MiB here).
        # Not against fixed MiB: with a 2 s scrape and ~12 MiB/s of leak, the last sample before a
        # kill may sit 25 MiB under the limit (one run's teeth were sampled at 86-88 MiB, another's
        # at 104-114). No bound on the troughs: a fresh worker serves the queued checkouts at once,
        # and with a core busy every trough was sampled at 68-69 MiB.
        before = baseline.summary["checkout_memory"]
        assert max(a for a, _ in drops) > 1.3 * before, f"{shown} (baseline {before / 2**20:.0f})"

    # Recovery: no restart for 30 s, checkout 5xx under 0.5 %, no acknowledged order lost.
    assert check(recovery, "checkout_stable_s").value > 30
    assert check(recovery, "checkout_5xx_ratio").value < 0.005
    assert check(recovery, "orders_lost").value == 0
    assert not [e for e in exits if e["ts"] > fixed_at]
    print(
        f"{variant}: baseline {baseline.elapsed_s:.0f}s, symptoms {symptoms.elapsed_s:.0f}s "
        f"({check(symptoms, 'checkout_restarts').value:.0f} restarts, {last_exit}), "
        f"recovery {recovery.elapsed_s:.0f}s"
    )


@pytest.mark.scenario
def test_the_fixed_release_refuses_the_wholesale_cart_with_a_4xx(chaoslab) -> None:
    started = chaoslab("start", SCENARIO, "--seed", "5")  # 5 % 3: the poison cart
    assert started.returncode == 0, started.stderr
    assert "INCIDENT" in started.stdout

    status = chaoslab("status")
    assert re.search(r"checkout\s.*", status.stdout), status.stdout
    assert "1.5.0" in chaoslab("code", "checkout", "--diff").stdout
    hint = chaoslab("hint")
    assert "hint 1 of" in hint.stdout
    assert chaoslab("verify").returncode == 1

    fixed = chaoslab("fix")
    assert fixed.returncode == 0, fixed.stderr
    verified = chaoslab("verify", "--wait", "120")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    exports = dict(line.removeprefix("export ").split("=", 1) for line in chaoslab("env").stdout.splitlines())
    import requests

    shop = exports["CHAOSLAB_SHOP_URL"].strip("'")
    user = 800_001
    assert requests.post(f"{shop}/cart/{user}", json={"product_id": 7, "qty": 120}, timeout=10).ok
    refused = requests.post(f"{shop}/checkout/{user}", headers={"Idempotency-Key": "wholesale-1"}, timeout=10)
    assert refused.status_code == 422, refused.text
    assert refused.json()["product_ids"] == [7]
    assert chaoslab("stop").returncode == 0
