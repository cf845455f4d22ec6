"""Evaluating a scenario's expectations against the live lab, with deadlines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chaoslab.errors import LabError
from chaoslab.lab_access import LabAccess
from chaoslab.probes import Value, Worse, is_number
from chaoslab.scenarios.model import Expectation, Scenario

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
    # This run's baseline of the probe, and the line it put in force (relative checks only).
    baseline: Value = None
    threshold: float | None = None


@dataclass
class PhaseResult:
    """The outcome of one phase (baseline, symptoms, recovery, a mitigation)."""

    name: str
    ok: bool
    elapsed_s: float
    checks: list[CheckResult] = field(default_factory=list)
    # Values of the summary probes: the worst during a fault (each probe's `worse`), the last value otherwise.
    summary: dict[str, Value] = field(default_factory=dict)
    firing: list[str] = field(default_factory=list)
    # A settled steady state: how many seconds its settled span covered.
    settled_s: float | None = None


def measure(scenario: Scenario, lab: LabAccess, probe: str) -> tuple[Value, str | None]:
    """One probe's value now, or the problem that stopped it."""
    try:
        return scenario.probes[probe].measure(lab), None
    except LabError as exc:
        return None, exc.message
    except Exception as exc:  # a probe must never kill a run; it reports what went wrong
        return None, f"{exc.__class__.__name__}: {exc}"


def worse_of(old: Value, new: Value, worse: Worse) -> Value:
    """The worse of two readings of a probe, by its direction; a number beats no number.

    >>> worse_of(0.61, 0.32, "lower")  # click-through: the fault shows as fewer clicks
    0.32
    """
    if not is_number(new):
        return new if old is None else old
    if not is_number(old):
        return new
    return max(old, new) if worse == "higher" else min(old, new)


def _median(values: list[Value]) -> Value:
    numbers = [float(v) for v in values if is_number(v)]
    if numbers:
        return statistics.median(numbers)
    return values[-1] if values else None


@dataclass
class _Poll:
    at: float
    ok: bool
    values: dict[str, Value]


def _settled(expectation: Expectation, polls: list[_Poll]) -> list[_Poll] | None:
    """The last polls covering ``settle.for_s`` seconds, when the phase has settled over them.

    Walked back from the newest poll until the span covers the time: a slow probe (real
    orders, a browser) makes polls seconds apart, and the span is then two or three of them.
    """
    settle = expectation.settle
    assert settle is not None
    span: list[_Poll] = []
    for poll in reversed(polls):
        span.insert(0, poll)
        if len(span) >= 2 and span[-1].at - poll.at >= settle.for_s - POLL_S / 2:
            break
    else:
        return None
    if not all(p.ok for p in span):
        return None
    level = [p.values.get(settle.probe) for p in span]
    middle = _median(level)
    if not isinstance(middle, float) or middle <= 0:
        return None
    if any(not isinstance(v, int | float) or abs(v - middle) > settle.tolerance * middle for v in level):
        return None
    return span


def observe(
    scenario: Scenario,
    lab: LabAccess,
    expectation: Expectation,
    *,
    name: str,
    latch: bool,
    wait: bool = True,
    since: float | None = None,
    baseline: Mapping[str, Value] | None = None,
    on_poll: Callable[[PhaseResult], None] | None = None,
) -> PhaseResult:
    """Poll until the expectation is met or its deadline passes.

    With ``latch`` each check needs to hold once (symptoms come and go under
    load); without it every check must hold in the same poll (a recovered
    system holds all its promises at once), and with ``settle`` in every poll
    of a settled span. ``since`` is when the phase began (the injection, for the
    alert deadline). ``baseline`` is this run's steady state, probe by probe, for
    the checks whose line follows it.
    """
    started = since or time.time()
    deadline = time.monotonic() + (expectation.within_s if wait else 0)
    baseline = baseline or {}
    first_held: dict[int, float] = {}
    last: dict[int, CheckResult] = {}
    alert_first: dict[str, float] = {}
    summary: dict[str, Value] = {}
    firing: set[str] = set()
    polls: list[_Poll] = []
    # A settling phase tracks every probe a later phase compares with its baseline.
    tracked = list(scenario.summary_probes)
    if expectation.settle is not None:
        tracked = list(dict.fromkeys([*scenario.baseline_probes(), expectation.settle.probe]))
    while True:
        now = time.time()
        results: list[CheckResult] = []
        values: dict[str, Value] = {}
        for index, check in enumerate(expectation.checks):
            if latch and index in last and last[index].held:
                results.append(last[index])  # keep the evidence of the moment it held
                continue
            value, error = measure(scenario, lab, check.probe)
            values[check.probe] = value
            base = baseline.get(check.probe) if check.relative_to_baseline else None
            held = check.holds(value, base)
            if held:
                first_held.setdefault(index, now - started)
            last[index] = CheckResult(
                check.probe,
                check.condition(),
                value,
                held,
                first_held.get(index),
                error,
                baseline=base,
                threshold=check.threshold(base) if base is not None else None,
            )
            results.append(last[index])
        try:
            firing = lab.prometheus.firing()
        except LabError:
            firing = set()
        for alert in firing:
            alert_first.setdefault(alert, now - started)
        results += _alert_results(expectation, firing, alert_first, elapsed_s=now - started, latch=latch)
        for probe in tracked:
            value = values[probe] if probe in values else measure(scenario, lab, probe)[0]
            values[probe] = value
            summary[probe] = (
                worse_of(summary.get(probe), value, scenario.probes[probe].worse) if latch else value
            )
        ok = all(r.held for r in results)
        settled_s = None
        if expectation.settle is not None and not latch:
            polls.append(_Poll(now, ok, values))
            span = _settled(expectation, polls)
            ok = span is not None
            if span is not None:
                # The baseline is the settled span's median, not one poll's chance value.
                summary = {p: _median([poll.values.get(p) for poll in span]) for p in tracked}
                settled_s = span[-1].at - span[0].at
        phase = PhaseResult(
            name=name,
            ok=ok,
            elapsed_s=time.time() - started,
            checks=results,
            summary=dict(summary),
            firing=sorted(firing),
            settled_s=settled_s,
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
