"""The liveness fault: a service redeployed with another liveness check, and the shipped one back."""

from __future__ import annotations

from chaoslab.faults.liveness import LivenessFault
from chaoslab.running_lab import LiveLab
from chaoslab.runs import Run
from chaoslab.runtimes.core.desired import spec_hash
from chaoslab.scenarios import load_scenario
from chaoslab.specs.model import ServiceSpec


class LivenessLab:
    """The part of a lab the fault touches: the liveness overrides, as LiveLab keeps them."""

    def __init__(self) -> None:
        self.overrides: dict[str, dict[str, float]] = {}

    def set_liveness(self, service: str, change: dict[str, float] | None) -> dict[str, float] | None:
        previous = self.overrides.pop(service, None)
        if change is not None:
            self.overrides[service] = change
        return previous


def test_strict_probe_goes_in_and_the_revert_puts_the_shipped_one_back() -> None:
    lab = LivenessLab()
    strict = LivenessFault(service="checkout", timeout_s=0.02, failure_threshold=1)
    memento = strict.inject(lab)  # type: ignore[arg-type]
    assert lab.overrides == {"checkout": {"timeout_s": 0.02, "failure_threshold": 1}}
    assert strict.describe() == "checkout: liveness probe timeout_s=0.02, failure_threshold=1"
    strict.revert(lab, memento)  # type: ignore[arg-type]
    assert lab.overrides == {}


def test_the_fix_restores_the_shipped_probe_and_its_revert_the_strict_one() -> None:
    lab = LivenessLab()
    LivenessFault(service="checkout", timeout_s=0.02).inject(lab)  # type: ignore[arg-type]
    shipped = LivenessFault(service="checkout", shipped=True)
    memento = shipped.inject(lab)  # type: ignore[arg-type]
    assert lab.overrides == {} and "shipped settings" in shipped.describe()
    shipped.revert(lab, memento)  # type: ignore[arg-type]
    assert lab.overrides == {"checkout": {"timeout_s": 0.02}}


def test_the_lab_applies_the_override_to_the_spec_only() -> None:
    run = Run.create(
        scenario="checkout-crashloop", seed=1, variant="strict-liveness", runtime="local", port_base=20000,
    )  # fmt: skip
    live = LiveLab(run, load_scenario("checkout-crashloop"), runtime=object())  # type: ignore[arg-type]
    shipped = {s.name: s for s in live.specs()}["checkout"].liveness
    assert shipped is not None and shipped.timeout_s == 1.0 and shipped.failure_threshold == 3
    run.write_state(liveness_overrides={"checkout": {"timeout_s": 0.02, "failure_threshold": 1}})
    specs = {s.name: s for s in live.specs()}
    strict = specs["checkout"].liveness
    assert strict is not None and (strict.timeout_s, strict.failure_threshold) == (0.02, 1)
    assert strict.target == shipped.target and strict.interval_s == shipped.interval_s
    assert specs["shop"].liveness is None
    # The supervisor reads the spec back from desired.json: it must keep its fingerprint there,
    # or the runtime waits for ever for the version it asked for (a threshold of 1.0 is not 1).
    assert isinstance(strict.failure_threshold, int)
    checkout = specs["checkout"]
    assert spec_hash(ServiceSpec.model_validate_json(checkout.model_dump_json())) == spec_hash(checkout)
