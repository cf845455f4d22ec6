"""The scenario schema: what a scenario.yaml may say, validated once at the edge."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lab.faults import FaultStep
from lab.load.plan import LoadPlan
from lab.probes import ProbeDef

Number = float | int


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Check(Strict):
    """A probe compared with a threshold; exactly one condition."""

    probe: str
    above: Number | None = None
    below: Number | None = None
    equals: bool | str | Number | None = None
    contains: str | None = None
    not_contains: str | None = None

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
        return self

    def condition(self) -> str:
        """The condition as people read it: "> 0.5", "contains 'Seq Scan'"."""
        for name, symbol in (("above", ">"), ("below", "<"), ("equals", "=")):
            value = getattr(self, name)
            if value is not None:
                return f"{symbol} {value}"
        if self.contains is not None:
            return f"contains {self.contains!r}"
        return f"lacks {self.not_contains!r}"

    def holds(self, value: object) -> bool:
        """Whether ``value`` meets the condition (None never does)."""
        if value is None:
            return False
        if self.above is not None:
            return isinstance(value, int | float) and value > self.above
        if self.below is not None:
            return isinstance(value, int | float) and value < self.below
        if self.equals is not None:
            return value == self.equals
        if self.contains is not None:
            return self.contains in str(value)
        return self.not_contains is not None and self.not_contains not in str(value)


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
    # Seconds of load before the baseline is taken.
    warmup_s: int = Field(default=15, ge=0, le=300)
    probes: dict[str, ProbeDef]
    summary_probes: list[str] = Field(
        default_factory=list, description="probes shown in the run summary table, in order"
    )
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
        from lab.observability.rules import alert_names
        from lab.specs.catalog import DEFINITIONS

        if self.fix is None and any(v.fix is None for v in self.variants):
            without = [v.id for v in self.variants if v.fix is None]
            raise ValueError(f"fix: is required, since variants {without} have no fix of their own")
        unknown = [s for s in self.services if s not in DEFINITIONS]
        if unknown:
            raise ValueError(f"unknown services {unknown}; known: {sorted(DEFINITIONS)}")
        if self.load.target not in self.services:
            raise ValueError(f"load.target {self.load.target!r} is not one of services")
        if not self.load.path().exists():
            raise ValueError(f"load.locustfile {self.load.locustfile!r}: no file {self.load.path()}")
        expectations = [
            self.steady_state,
            self.symptoms,
            self.recovery,
            *(m.checks for m in self.mitigations),
        ]
        for probe in [c.probe for e in expectations for c in e.checks] + self.summary_probes:
            if probe not in self.probes:
                raise ValueError(f"check refers to probe {probe!r}, which is not under probes:")
        known_alerts = set(alert_names(self.services))
        for alert in [a for e in expectations for a in e.alerts_firing + e.alerts_resolved]:
            if alert not in known_alerts:
                raise ValueError(
                    f"alert {alert!r} is not defined for these services; known: {sorted(known_alerts)}"
                )
        return self

    def variant(self, seed: int) -> Variant:
        """The variant the seed draws: the same seed always gives the same one."""
        return self.variants[seed % len(self.variants)]

    def fix_for(self, variant_id: str) -> Fix:
        """The reference fix of a variant: its own, else the scenario's."""
        variant = next(v for v in self.variants if v.id == variant_id)
        fix = variant.fix or self.fix
        assert fix is not None, "validated: a variant without a fix has the scenario's"
        return fix
