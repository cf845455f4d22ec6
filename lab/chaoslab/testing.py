"""The lab as a recovery test drives it: inject, fix or mitigate, then assert the recovery checks.

Used by the pytest plugin (lab/chaoslab/pytest_plugin.py); importable on its own for other runners.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from rich.console import Console

from chaoslab import lifecycle
from chaoslab.probes import Value
from chaoslab.reports.summary import checks_table
from chaoslab.reports.verdict import verdict_document
from chaoslab.running_lab import LiveLab
from chaoslab.scenarios.observe import CheckResult, PhaseResult, measure, observe


@dataclass
class Verdict:
    """The outcome of a phase: whether every check held, the checks, and their table as text."""

    ok: bool
    checks: list[CheckResult] = field(default_factory=list)
    table: str = ""
    # The same document `chaoslab verify --json` prints (lab/chaoslab/reports/verdict.py).
    document: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.ok


class LabUnderTest(LiveLab):
    """A started lab with the helpers a recovery test needs."""

    # The measured steady state before the fault (set by the fixture).
    baseline: PhaseResult | None = None

    def inject_fault(self) -> None:
        """Inject the faults of the run's variant (done by the fixture unless ``fault=False``)."""
        lifecycle.inject(self)

    def apply_fix(self) -> None:
        """Apply the scenario's reference fix."""
        lifecycle.apply_fix(self)

    def mitigate(self, mitigation_id: str) -> None:
        """Apply one of the scenario's mitigations."""
        lifecycle.apply_mitigation(self, mitigation_id)

    def measure(self, probe: str) -> Value:
        """One probe's value now (None when there is nothing to measure yet)."""
        value, _ = measure(self.scenario, self, probe)
        return value

    def wait_for_symptoms(self) -> Verdict:
        """Wait (up to the scenario's deadline) until every expected symptom has shown once."""
        return self._phase("symptoms", latch=True)

    def verify(self, wait_s: int = 90) -> Verdict:
        """The recovery checks, retried for up to ``wait_s`` until they all hold at once."""
        return self._phase("recovery", latch=False, within_s=wait_s)

    def assert_recovered(self, wait_s: int = 90) -> Verdict:
        """``verify``, failing the test with the check table when recovery does not hold."""
        verdict = self.verify(wait_s)
        if not verdict.ok:
            raise AssertionError(f"{self.scenario.id} did not recover within {wait_s}s:\n{verdict.table}")
        return verdict

    def _phase(self, name: str, *, latch: bool, within_s: int | None = None) -> Verdict:
        expectation = self.scenario.symptoms if name == "symptoms" else self.scenario.recovery
        if within_s is not None:
            expectation = expectation.model_copy(update={"within_s": max(within_s, 1)})
        result = observe(
            self.scenario, self, expectation, name=name, latch=latch, baseline=self.baseline_readings()
        )
        units = {probe: spec.unit for probe, spec in self.scenario.probes.items()}
        text = io.StringIO()
        Console(file=text, width=120).print(checks_table(f"{name} checks", result.checks, units))
        document = verdict_document(result, run=self.run.id, scenario=self.scenario.id)
        return Verdict(result.ok, result.checks, text.getvalue(), document)
