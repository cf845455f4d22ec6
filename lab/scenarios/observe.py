"""Evaluating a scenario's expectations against the live lab, with deadlines."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lab.errors import LabError
from lab.faults.base import LabAccess
from lab.probes import Value
from lab.scenarios.model import Check, Expectation, Scenario

POLL_S = 2.0


@dataclass
class CheckResult:
    """One check: its condition, the value seen, whether it held."""

    label: str
    condition: str
    value: Value
    held: bool
    # Seconds from the phase start to the first time it held.
    at_s: float | None = None
    error: str | None = None


@dataclass
class PhaseResult:
    """The outcome of one phase (baseline, symptoms, recovery, a mitigation)."""

    name: str
    ok: bool
    elapsed_s: float
    checks: list[CheckResult] = field(default_factory=list)
    # Values of the summary probes: the extreme during a fault, the last value otherwise.
    summary: dict[str, Value] = field(default_factory=dict)
    firing: list[str] = field(default_factory=list)


def measure(scenario: Scenario, lab: LabAccess, probe: str) -> tuple[Value, str | None]:
    """One probe's value now, or the problem that stopped it."""
    try:
        return scenario.probes[probe].measure(lab), None
    except LabError as exc:
        return None, exc.message
    except Exception as exc:  # a probe must never kill a run; it reports what went wrong
        return None, f"{exc.__class__.__name__}: {exc}"


def _more_extreme(old: Value, new: Value, toward_high: bool) -> Value:
    if not isinstance(new, int | float) or isinstance(new, bool):
        return new if old is None else old
    if not isinstance(old, int | float) or isinstance(old, bool):
        return new
    return max(old, new) if toward_high else min(old, new)


def observe(
    scenario: Scenario,
    lab: LabAccess,
    expectation: Expectation,
    *,
    name: str,
    latch: bool,
    wait: bool = True,
    since: float | None = None,
    on_poll: Callable[[PhaseResult], None] | None = None,
) -> PhaseResult:
    """Poll until the expectation is met or its deadline passes.

    With ``latch`` each check needs to hold once (symptoms come and go under
    load); without it every check must hold in the same poll (a recovered
    system holds all its promises at once). ``since`` is when the phase began
    (the injection, for the alert deadline).
    """
    started = since or time.time()
    deadline = time.monotonic() + (expectation.within_s if wait else 0)
    first_held: dict[int, float] = {}
    last: dict[int, CheckResult] = {}
    alert_first: dict[str, float] = {}
    summary: dict[str, Value] = {}
    firing: set[str] = set()
    while True:
        now = time.time()
        results: list[CheckResult] = []
        for index, check in enumerate(expectation.checks):
            if latch and index in last and last[index].held:
                results.append(last[index])  # keep the evidence of the moment it held
                continue
            value, error = measure(scenario, lab, check.probe)
            held = check.holds(value)
            if held:
                first_held.setdefault(index, now - started)
            last[index] = CheckResult(
                check.probe, check.condition(), value, held, first_held.get(index), error
            )
            results.append(last[index])
        try:
            firing = lab.prometheus.firing()
        except LabError:
            firing = set()
        for alert in firing:
            alert_first.setdefault(alert, now - started)
        results += _alert_results(expectation, firing, alert_first, elapsed_s=now - started, latch=latch)
        for probe in scenario.summary_probes:
            value, _ = measure(scenario, lab, probe)
            summary[probe] = _more_extreme(summary.get(probe), value, toward_high=True) if latch else value
        ok = all(r.held for r in results)
        phase = PhaseResult(
            name=name,
            ok=ok,
            elapsed_s=time.time() - started,
            checks=results,
            summary=dict(summary),
            firing=sorted(firing),
        )
        if on_poll:
            on_poll(phase)
        if ok or time.monotonic() >= deadline:
            return phase
        time.sleep(POLL_S)


def _alert_results(
    expectation: Expectation,
    firing: set[str],
    alert_first: dict[str, float],
    elapsed_s: float = 0.0,
    latch: bool = True,
) -> list[CheckResult]:
    results = []
    if expectation.alerts_silent:
        quiet_for = expectation.alerts_within_s or 0
        # Symptoms (latched) must stay silent throughout; a steady state is silent when it holds,
        # so an alert still resolving from the lab's start-up is waited out, not held against it.
        fired = alert_first if latch else {a: alert_first[a] for a in firing}
        results.append(
            CheckResult(
                label="alerts",
                condition="none fires" + (f" for {quiet_for}s" if quiet_for else ""),
                value=", ".join(sorted(fired)) or "none",
                held=not fired and elapsed_s >= quiet_for,
                at_s=min(fired.values()) if fired else None,
            )
        )
    for alert in expectation.alerts_firing:
        at = alert_first.get(alert)
        within = expectation.alerts_within_s
        held = at is not None and (within is None or at <= within)
        results.append(
            CheckResult(
                label=f"alert {alert}",
                condition="firing" + (f" within {within}s" if within else ""),
                value="firing" if alert in firing else ("fired" if at is not None else "inactive"),
                held=held,
                at_s=at,
            )
        )
    for alert in expectation.alerts_resolved:
        results.append(
            CheckResult(
                label=f"alert {alert}",
                condition="resolved",
                value="firing" if alert in firing else "inactive",
                held=alert not in firing,
            )
        )
    return results


def check_once(scenario: Scenario, lab: LabAccess, checks: list[Check]) -> list[CheckResult]:
    """Evaluate ``checks`` once, now."""
    results = []
    for check in checks:
        value, error = measure(scenario, lab, check.probe)
        results.append(CheckResult(check.probe, check.condition(), value, check.holds(value), error=error))
    return results
