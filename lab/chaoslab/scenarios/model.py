"""The scenario schema: what a scenario.yaml may say, validated once at the edge."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chaoslab.faults import FaultStep
from chaoslab.probes import ProbeDef, is_number
from chaoslab.specs.load import LoadPlan

Number = float | int


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Check(Strict):
    """A probe compared with a threshold; exactly one condition.

    ``above`` and ``below`` are lines (the chapter's alert lines, or a healthy line).
    ``and_baseline`` / ``or_baseline`` move the line by this run's own baseline of the
    same probe, so the check follows the machine it runs on:

    >>> Check(probe="p99", above=0.25, and_baseline=5).threshold(0.08)  # past the line and 5x
    0.4
    >>> Check(probe="p99", below=0.1, or_baseline=1.5).threshold(0.08)  # under the line or 1.5x
    0.12
    """

    probe: str
    above: Number | None = None
    below: Number | None = None
    equals: bool | str | Number | None = None
    contains: str | None = None
    not_contains: str | None = None
    # A symptom: the value must also be this many times the run's baseline (stricter line).
    and_baseline: float | None = Field(default=None, gt=0)
    # A healthy value: within this many times the run's baseline is enough (looser line).
    or_baseline: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_condition(self) -> Check:
        set_ = [
            n
            for n in ("above", "below", "equals", "contains", "not_contains")
            if getattr(self, n) is not None
        ]
        if len(set_) != 1:
            raise ValueError(
                "a check needs exactly one of above / below / equals / contains / not_contains, "
                f"got {set_ or 'none'}"
            )
        if self.and_baseline is not None and self.or_baseline is not None:
            raise ValueError("a check takes and_baseline or or_baseline, not both")
        if self.relative_to_baseline and self.line is None:
            raise ValueError("and_baseline / or_baseline move an `above` or `below` line; give one")
        return self

    @property
    def line(self) -> float | None:
        """The absolute line of an above / below check."""
        return self.above if self.above is not None else self.below

    @property
    def relative_to_baseline(self) -> bool:
        """Whether the run's baseline of the probe moves this check's line."""
        return self.and_baseline is not None or self.or_baseline is not None

    def threshold(self, baseline: object = None) -> float | None:
        """The line in force for this run: the absolute line, moved by the baseline when known."""
        line = self.line
        if line is None or not self.relative_to_baseline or not is_number(baseline):
            return line
        factor = self.and_baseline if self.and_baseline is not None else self.or_baseline
        assert factor is not None
        scaled = factor * float(baseline)
        # "and" keeps the stricter of the two lines, "or" the looser; which is which depends
        # on the direction: for `above` the stricter line is the higher one.
        stricter = self.and_baseline is not None
        higher = (self.above is not None) == stricter
        return max(line, scaled) if higher else min(line, scaled)

    def condition(self) -> str:
        """The condition as people read it: "> 0.5", "> 0.25 and > 5x baseline", "contains 'Seq Scan'"."""
        for name, symbol in (("above", ">"), ("below", "<"), ("equals", "=")):
            value = getattr(self, name)
            if value is not None:
                text = f"{symbol} {value}"
                if self.and_baseline is not None:
                    text += f" and {symbol} {self.and_baseline:g}x baseline"
                elif self.or_baseline is not None:
                    text += f" or {symbol} {self.or_baseline:g}x baseline"
                return text
        if self.contains is not None:
            return f"contains {self.contains!r}"
        return f"lacks {self.not_contains!r}"

    def holds(self, value: object, baseline: object = None) -> bool:
        """Whether ``value`` meets the condition (None never does), with this run's ``baseline``."""
        if value is None:
            return False
        if self.above is not None or self.below is not None:
            line = self.threshold(baseline)
            assert line is not None
            if not is_number(value):
                return False
            return value > line if self.above is not None else value < line
        if self.equals is not None:
            return value == self.equals
        if self.contains is not None:
            return self.contains in str(value)
        return self.not_contains is not None and self.not_contains not in str(value)


class Calibration(Strict):
    """One setting sized from this machine's own speed, measured on the idle lab before the load.

    ``env`` of ``service`` is ``value`` where ``probe`` reads ``reference``, scaled by
    measured / reference and kept within ``bounds``: e.g. a pool wait that follows the time
    of the scan that fills the pool, so the same share of requests outwaits it anywhere.
    """

    probe: str
    reference: float = Field(gt=0)
    service: str
    env: str
    value: float = Field(gt=0)
    bounds: tuple[float, float]
    samples: int = Field(default=5, ge=1, le=10)
    # Which reading stands for the machine: the fastest (noise only slows a reading, so the
    # fastest is the machine's own speed) or the median (the speed the machine keeps, a busy
    # neighbour included: what a load sized for minutes has to live with).
    reading: Literal["fastest", "median"] = "fastest"

    @model_validator(mode="after")
    def _bounds_hold_the_value(self) -> Calibration:
        low, high = self.bounds
        if not 0 < low <= self.value <= high:
            raise ValueError(f"bounds {list(self.bounds)} must hold value {self.value} (and be > 0)")
        return self

    def scaled(self, measured: float) -> float:
        """The setting for a machine where ``probe`` reads ``measured``."""
        low, high = self.bounds
        return round(min(high, max(low, self.value * measured / self.reference)), 3)


class Settle(Strict):
    """A steady state counts only once the load has reached its level and stays there.

    The phase holds when, for ``for_s`` seconds in a row, every check holds and ``probe``
    (the load's throughput, say) stays within ``tolerance`` of its median over that span.
    The baseline values are the medians over that span.
    """

    probe: str
    for_s: int = Field(default=10, ge=2, le=120)
    tolerance: float = Field(default=0.1, gt=0, lt=1)


class Expectation(Strict):
    """What must be seen, and how long we may wait for it."""

    within_s: int = Field(gt=0, le=900)
    checks: list[Check] = []
    alerts_firing: list[str] = []
    alerts_resolved: list[str] = []
    # Alerts in alerts_firing must fire within this many seconds of injection.
    alerts_within_s: int | None = None
    # No alert of the lab may fire during the phase (the silent incident); with alerts_within_s,
    # the phase must also have lasted that long, the time the alerts would need to fire.
    alerts_silent: bool = False
    # Steady states only: wait for the load to settle, and take the baseline over that span.
    settle: Settle | None = None

    @model_validator(mode="after")
    def _silent_means_no_expected_alert(self) -> Expectation:
        if self.alerts_silent and self.alerts_firing:
            raise ValueError("alerts_silent contradicts alerts_firing: keep one of them")
        return self


class Story(Strict):
    """The incident as the learner meets it."""

    brief: str
    user_reports: list[str]


class Fix(Strict):
    """The reference fix: what `chaoslab fix` applies."""

    description: str
    steps: list[FaultStep] = Field(min_length=1)


class Variant(Strict):
    """One cause of the incident; the seed draws one (the wheel of misfortune)."""

    id: str
    title: str
    faults: list[FaultStep] = Field(min_length=1)
    # When each cause has its own repair; otherwise the scenario's `fix` applies.
    fix: Fix | None = None


class Panel(Strict):
    """A saved dashboard panel (the team's Grafana panel): a title and its PromQL."""

    title: str
    query: str
    unit: str = ""


class Mitigation(Strict):
    """A stop-gap from the chapter, measured: does it recover the lab, or only partly?"""

    id: str
    description: str
    steps: list[FaultStep] = Field(min_length=1)
    expect: Literal["recovers", "partial"]
    checks: Expectation


class PostMortem(Strict):
    """The chapter's post-mortem material for this incident."""

    root_cause: str
    contributing_factors: list[str]
    action_items: list[str]


class DataPlan(Strict):
    """How big the seeded data set is."""

    products: int = Field(default=1_000_000, ge=1000)


class Scenario(Strict):
    """One incident of the chapter, made reproducible."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    chapter: str
    difficulty: Literal["beginner", "intermediate", "advanced"]
    summary: str
    story: Story
    services: list[str] = Field(min_length=1)
    data: DataPlan = DataPlan()
    flags: dict[str, bool] = {}
    # The lab's normal world, applied once it is up and never reverted: not a fault, the
    # conditions the services live in (e.g. a feature store a network hop of ~40 ms away).
    conditions: list[FaultStep] = []
    load: LoadPlan
    # Settings sized from this machine's measured speed before the load starts.
    calibration: list[Calibration] = []
    # Seconds of load before the baseline is taken.
    warmup_s: int = Field(default=15, ge=0, le=300)
    probes: dict[str, ProbeDef]
    summary_probes: list[str] = Field(
        default_factory=list, description="probes shown in the run summary table, in order"
    )
    # The chapter's own figure for a summary probe ("50 ms → 500 ms"), shown beside the lab's.
    chapter_figures: dict[str, str] = {}
    steady_state: Expectation
    variants: list[Variant] = Field(min_length=1)
    symptoms: Expectation
    hints: list[str] = Field(min_length=1)
    # Required unless every variant has its own fix.
    fix: Fix | None = None
    # The dashboard the team watches (`chaoslab dashboard`).
    dashboard: list[Panel] = []
    mitigations: list[Mitigation] = []
    recovery: Expectation
    postmortem: PostMortem

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        from chaoslab.faults.scrape import ScrapeFault
        from chaoslab.specs.catalog import DEFINITIONS, OFFSETS, with_load
        from chaoslab.specs.catalog.prometheus import alert_names

        if self.fix is None and any(v.fix is None for v in self.variants):
            without = [v.id for v in self.variants if v.fix is None]
            raise ValueError(f"fix: is required, since variants {without} have no fix of their own")
        unknown = [s for s in self.services if s not in DEFINITIONS]
        if unknown:
            raise ValueError(f"unknown services {unknown}; known: {sorted(DEFINITIONS)}")
        if self.load.target not in self.services:
            raise ValueError(f"load.target {self.load.target!r} is not one of services")
        home = DEFINITIONS.get(self.load.locustfile)
        if home is None or home.locustfile is None:
            raise ValueError(
                f"load.locustfile {self.load.locustfile!r} names no service with a locustfile; those with "
                f"one: {with_load()}"
            )
        for step in self.all_steps():
            port = step.set.get("port") if isinstance(step, ScrapeFault) else None
            if port is not None and port not in OFFSETS:
                raise ValueError(
                    f"scrape set.port {port!r} is not a port of the lab; known: {', '.join(OFFSETS)}"
                )
        expectations = [
            self.steady_state,
            self.symptoms,
            self.recovery,
            *(m.checks for m in self.mitigations),
        ]
        unknown_figures = sorted(set(self.chapter_figures) - set(self.summary_probes))
        if unknown_figures:
            raise ValueError(f"chapter_figures names {unknown_figures}, which are not summary_probes")
        settle = [e.settle.probe for e in expectations if e.settle is not None]
        settle += [c.probe for c in self.calibration]
        for calibration in self.calibration:
            # `locust`, the load's pace, is started by `load:` rather than listed under services.
            if calibration.service not in [*self.services, "locust"]:
                raise ValueError(
                    f"calibration.service {calibration.service!r} is not one of services, nor locust"
                )
        for probe in [c.probe for e in expectations for c in e.checks] + self.summary_probes + settle:
            if probe not in self.probes:
                raise ValueError(f"check refers to probe {probe!r}, which is not under probes:")
        if any(c.relative_to_baseline for c in self.steady_state.checks):
            raise ValueError("steady_state checks cannot be relative to the baseline: they measure it")
        known_alerts = set(alert_names(self.services))
        for alert in [a for e in expectations for a in e.alerts_firing + e.alerts_resolved]:
            if alert not in known_alerts:
                raise ValueError(
                    f"alert {alert!r} is not defined for these services; known: {sorted(known_alerts)}"
                )
        return self

    def all_steps(self) -> list[FaultStep]:
        """Every fault step the scenario names: its variants' faults, the fixes, the mitigations."""
        fixes = [self.fix, *(v.fix for v in self.variants)]
        return [
            *(step for v in self.variants for step in v.faults),
            *(step for fix in fixes if fix is not None for step in fix.steps),
            *(step for m in self.mitigations for step in m.steps),
        ]

    def baseline_probes(self) -> list[str]:
        """Probes whose baseline this run must know: the summary's and every relative check's."""
        expectations = [self.symptoms, self.recovery, *(m.checks for m in self.mitigations)]
        relative = [c.probe for e in expectations for c in e.checks if c.relative_to_baseline]
        return list(dict.fromkeys([*self.summary_probes, *relative]))

    def variant(self, seed: int) -> Variant:
        """The variant the seed draws: the same seed always gives the same one."""
        return self.variants[seed % len(self.variants)]

    def fix_for(self, variant_id: str) -> Fix:
        """The reference fix of a variant: its own, else the scenario's."""
        variant = next(v for v in self.variants if v.id == variant_id)
        fix = variant.fix or self.fix
        assert fix is not None, "validated: a variant without a fix has the scenario's"
        return fix
