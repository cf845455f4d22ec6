"""Every variant of every scenario, read from its files: the symptoms show, and the fix restores health.

A new scenario or variant is run here with no new test code. What only one scenario can say
(its own signals, its timeline, the chapter's figures) stays in that scenario's module,
``tests/scenarios/test_<id>.py``, as ``check_variant(run)``, called after the run; its
``VARIANT_MARKS`` (e.g. ``browser``) mark its variants here.
"""

from __future__ import annotations

import importlib
import time
from types import ModuleType

import pytest

from chaoslab.end_to_end import run_scenario
from chaoslab.scenarios import load_scenario
from chaoslab.scenarios.catalog import list_scenarios
from chaoslab.scenarios.model import Scenario
from tests.scenarios.outcomes import VariantRun, failures


def seed_drawing(scenario: Scenario, variant: str) -> int:
    """The smallest seed from 1 that draws ``variant`` (the seeds the database templates were built for)."""
    return next(seed for seed in range(1, 1000) if scenario.variant(seed).id == variant)


def scenario_module(scenario_id: str) -> ModuleType | None:
    """The scenario's own test module, when it has one."""
    try:
        return importlib.import_module(f"tests.scenarios.test_{scenario_id.replace('-', '_')}")
    except ModuleNotFoundError:
        return None


def _cases() -> list[object]:
    cases = []
    for scenario in list_scenarios():
        module = scenario_module(scenario.id)
        marks = getattr(module, "VARIANT_MARKS", ())
        for variant in scenario.variants:
            case_id = f"{scenario.id}[{variant.id}]"
            cases.append(pytest.param(scenario.id, variant.id, id=case_id, marks=marks))
    return cases


@pytest.mark.scenario
@pytest.mark.parametrize(("scenario_id", "variant"), _cases())
def test_the_variant_shows_its_symptoms_and_the_fix_restores_health(
    scenario_id: str, variant: str, port_base: int
) -> None:
    scenario = load_scenario(scenario_id)
    seed = seed_drawing(scenario, variant)
    started = time.monotonic()
    outcome = run_scenario(scenario, seed=seed, port_base=port_base, echo=lambda _: None)
    took_s = time.monotonic() - started
    assert outcome.error is None, outcome.error
    # A failed phase ends the run: first say which of its checks failed, then the phase list.
    assert outcome.ok, failures(outcome)
    assert [p.name for p in outcome.phases] == ["baseline", "symptoms", "recovery"]
    module = scenario_module(scenario_id)
    if module is not None and hasattr(module, "check_variant"):
        module.check_variant(VariantRun(variant=variant, seed=seed, outcome=outcome, took_s=took_s))
