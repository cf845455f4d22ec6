"""The life of a lab: start, calibrate, load, baseline, inject, fix, mitigate, stop (all of it
unattended: lab/chaoslab/end_to_end.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from chaoslab import releases
from chaoslab.atomic import check_writable
from chaoslab.calibration import calibrate
from chaoslab.disk.budget import budget_bytes, make_room
from chaoslab.echo import Echo
from chaoslab.errors import EnvironmentProblem, LabError, UsageError
from chaoslab.faults import FaultStep
from chaoslab.homes import state_home
from chaoslab.lab_api.process import lab_api_process
from chaoslab.output import format_length
from chaoslab.releases import create_working_copy
from chaoslab.reports.metrics import try_export
from chaoslab.running_lab import LiveLab
from chaoslab.runs import Run, Timeline, current_run, require_current_run
from chaoslab.runs.run import clear_current, mark_current
from chaoslab.runs.session import (
    DEFAULT_SESSION,
    Session,
    check_length,
    parse_length,
)
from chaoslab.runtimes import RUNTIMES, runtime_for
from chaoslab.scenarios import Scenario, load_scenario
from chaoslab.scenarios.model import Mitigation
from chaoslab.scenarios.observe import PhaseResult, observe
from chaoslab.service_status import UP_STATES
from chaoslab.specs.catalog import DEFINITIONS
from chaoslab.specs.catalog.prometheus import client_of
from chaoslab.specs.ports import DEFAULT_PORT_BASE, PortPlan, ensure_free


def default_port_base() -> int:
    """The port base: $CHAOSLAB_PORT_BASE, else 15400."""
    return int(os.environ.get("CHAOSLAB_PORT_BASE", DEFAULT_PORT_BASE))


def _runtime(run: Run, owner_pid: int | None):
    return runtime_for(run, owner_pid=owner_pid)


def open_lab() -> LiveLab:
    """The lab this state home is running, ready for the CLI's commands."""
    run = require_current_run()
    live = LiveLab(run, load_scenario(run.info.scenario))
    if not any(s.state in UP_STATES for s in live.runtime.status().values()):
        stop_lab(run)
        raise UsageError(
            f"The lab of run {run.id} is no longer running (its processes are gone); cleaned it up.",
            hint=f"start it again: `chaoslab start {run.info.scenario}`.",
        )
    return live


def start_lab(
    scenario: Scenario,
    *,
    seed: int,
    port_base: int | None = None,
    runtime: str = "local",
    owner_pid: int | None = None,
    session_s: int | None = None,
    echo: Echo = print,
) -> LiveLab:
    """Create a run, prepare every service's files and bring the lab up healthy.

    The lab takes itself down ``session_s`` seconds after this call (default: DEFAULT_SESSION).
    """
    if runtime not in RUNTIMES:
        raise UsageError(f"Unknown runtime {runtime!r}.", hint=f"use one of: {', '.join(RUNTIMES)}.")
    length_s = check_length(session_s) if session_s is not None else parse_length(DEFAULT_SESSION)
    check_writable(state_home())  # a full or read-only home says so before anything starts
    budget_bytes()  # a malformed $CHAOSLAB_DISK_BUDGET too: the template step would find it late
    existing = current_run()
    if existing is not None:
        states = runtime_for(existing).status().values()
        if any(s.state != "stopped" for s in states):
            raise UsageError(
                f"A lab is already running (run {existing.id}, scenario {existing.info.scenario}).",
                hint="stop it first with `chaoslab stop`, or use another CHAOSLAB_HOME.",
            )
        stop_lab(existing)
    ports = PortPlan(port_base or default_port_base())
    ensure_free(ports.of(scenario.services))
    variant = scenario.variant(seed)
    run = Run.create(
        scenario=scenario.id,
        seed=seed,
        variant=variant.id,
        runtime=runtime,
        port_base=ports.base,
    )
    mark_current(run)
    # Before the first `up`: the supervisor (or watcher) reads the session's end when it starts.
    session = Session.starting_now(length_s)
    run.write_state(session=session)
    timeline = Timeline(run.timeline_path)
    timeline.record(
        "lab_starting",
        scenario=scenario.id,
        seed=seed,
        variant=variant.id,
        runtime=runtime,
        session_s=length_s,
        ends_at=session.ends_at,
    )
    live = LiveLab(run, scenario, _runtime(run, owner_pid))
    started = time.monotonic()
    try:
        # What the CLI asks first (lab/chaoslab/lab_api/): the lab loaded once, not per command.
        # Started first, so that it is listening by the time the lab is up.
        lab_api_process(run).spawn(owner_pid=None)
        ctx = live.context()
        live.flags.write(dict(scenario.flags))
        create_working_copy(run.source_dir)
        for name in scenario.services:
            DEFINITIONS[name].prepare(ctx)
        # Each seed's database template is ~615 MB: past the disk budget the least recently
        # used templates and images go (lab/chaoslab/disk/budget.py).
        make_room(echo)
        echo(f"starting {len(scenario.services)} services ({', '.join(scenario.services)})")
        live.apply(timeout_s=120)
        for shared in timeline.events("network_shared"):
            echo(
                f"warning: this lab shares the machine's network ({shared.get('reason')}): other local "
                "users can reach its Toxiproxy API. `chaoslab doctor` says why."
            )
        _apply_steps(live, scenario.conditions, "condition_applied")
        calibrate(live, echo)
    except BaseException:
        stop_lab(run)
        raise
    timeline.record("lab_up", after_s=round(time.monotonic() - started, 2))
    return live


def start_load(live: LiveLab) -> None:
    """Start the scenario's simulated users, bounded by the session's end (and a request cap)."""
    live.run.write_state(load_on=True)
    live.apply()
    plan = live.scenario.load
    session = live.run.read_state().session
    Timeline(live.run.timeline_path).record(
        "load_started",
        users=plan.users,
        until=session.ends_at if session else None,
        max_seconds=None if session else plan.max_seconds,
        max_requests=plan.requests_cap(session.length_s if session else plan.max_seconds),
    )


def load_bound(live: LiveLab) -> str:
    """When the load stops by itself, for people: with the session, or after the plan's time."""
    session = live.run.read_state().session
    if session is None:
        return f"stops by itself after {live.scenario.load.max_seconds}s"
    return f"until the session ends, in {format_length(session.left_s())}"


def extend_session(live: LiveLab, by_s: int) -> Session:
    """Move the session's end ``by_s`` later, the load's bound with it; the new session."""
    session = live.run.read_state().session
    if session is None:
        raise UsageError(
            f"Run {live.run.id} was started before sessions had an end: there is nothing to extend.",
            hint="it runs until `chaoslab stop`.",
        )
    extended = session.extended(by_s)
    live.run.write_state(session=extended)
    Timeline(live.run.timeline_path).record(
        "session_extended", by_s=by_s, ends_at=extended.ends_at, length_s=round(extended.length_s)
    )
    # A new spec for the load (its end moved): the runtime restarts it re-armed, and the
    # supervisor rereads the session on the same reload; the docker watcher polls it.
    live.apply()
    return extended


def measure_baseline(live: LiveLab, echo: Echo = print, *, warm_up: bool = True) -> PhaseResult:
    """Warm up, then wait for the load to settle and record this run's steady state.

    The baseline is what later checks follow (``and_baseline`` / ``or_baseline``), so a
    slow or busy machine is judged against itself. It is kept in the run state, for
    `chaoslab verify` in another process.
    """
    scenario = live.scenario
    if warm_up:
        echo(f"warming up {scenario.warmup_s}s")
        time.sleep(scenario.warmup_s)  # a fixed span of traffic before the baseline, not a wait for a state
    echo(f"measuring the baseline (up to {scenario.steady_state.within_s}s)")
    result = observe(scenario, live, scenario.steady_state, name="baseline", latch=False, since=time.time())
    baseline = {probe: result.summary.get(probe) for probe in scenario.baseline_probes()}
    live.run.write_state(baseline=baseline, baseline_ok=result.ok)
    Timeline(live.run.timeline_path).record(
        "baseline_measured", ok=result.ok, elapsed_s=round(result.elapsed_s, 1), values=baseline
    )
    return result


def start_incident(
    live: LiveLab, *, fault: bool = True, despite_baseline: bool = False, echo: Echo = print
) -> PhaseResult:
    """The one start sequence after the lab is up: load, warm-up, baseline, then the fault.

    The fault goes in only when the baseline held, unless ``despite_baseline`` (a learner
    still gets an incident, with a warning); ``run_scenario`` and tests stop there instead.
    """
    start_load(live)
    echo(f"load on: {live.scenario.load.users} simulated users ({load_bound(live)})")
    baseline = measure_baseline(live, echo)
    if fault and (baseline.ok or despite_baseline):
        echo(f"injecting the fault ({live.run.info.variant})")
        inject(live)
    return baseline


def _apply_steps(
    live: LiveLab, steps: list[FaultStep], event: str, echo: Echo = print, **fields: object
) -> list[dict]:
    timeline = Timeline(live.run.timeline_path)
    mementos = []
    for step in steps:
        memento = step.inject(live)
        mementos.append(memento)
        # A rollback step keeps a person's edits as a patch: say where, as `chaoslab rollback` does.
        saved = memento.get("edits_saved") if isinstance(memento, dict) else None
        if saved:
            _say_edits_saved(live, getattr(step, "service", "the service"), Path(saved), echo)
        extra = {"edits_saved": saved} if saved else {}
        timeline.record(event, kind=step.kind, what=step.describe(), **fields, **extra)
    return mementos


def inject(live: LiveLab) -> None:
    """Inject the faults of the run's variant."""
    state = live.run.read_state()
    if state.injected:
        raise UsageError("The fault is already injected in this lab.")
    variant = next(v for v in live.scenario.variants if v.id == live.run.info.variant)
    # The clock of the symptoms (and the alert deadline) starts when the first step goes in.
    started = time.time()
    mementos = _apply_steps(live, list(variant.faults), "fault_injected", variant=variant.id)
    live.run.write_state(injected=True, injected_at=started, fault_mementos=mementos, phase="incident")


def revert_fault(live: LiveLab) -> None:
    """Undo the injected faults (the rollback a trainer may want)."""
    state = live.run.read_state()
    if not state.injected:
        raise UsageError("No fault is injected in this lab.")
    variant = next(v for v in live.scenario.variants if v.id == live.run.info.variant)
    timeline = Timeline(live.run.timeline_path)
    for step, memento in reversed(list(zip(variant.faults, state.fault_mementos, strict=True))):
        step.revert(live, memento)
        timeline.record("fault_reverted", kind=step.kind, what=step.describe())
    live.run.write_state(injected=False, phase="reverted")


def apply_fix(live: LiveLab, echo: Echo = print) -> None:
    """Apply the scenario's reference fix; ``echo`` says where a person's edits were kept."""
    fix = live.scenario.fix_for(live.run.info.variant)
    _apply_steps(live, list(fix.steps), "fix_applied", echo)
    live.run.write_state(fixed_at=time.time(), phase="fixed")


def apply_mitigation(live: LiveLab, mitigation_id: str, echo: Echo = print) -> None:
    """Apply one of the scenario's mitigations by id; ``echo`` says where a person's edits were kept."""
    chosen = find_mitigation(live.scenario, mitigation_id)
    _apply_steps(live, list(chosen.steps), "mitigation_applied", echo, mitigation=mitigation_id)


DECLARATIONS = {
    "ack": "we see it: the incident is acknowledged",
    "mitigated": "the impact on users has stopped",
    "resolved": "the cause is fixed",
}


def declare(live: LiveLab, what: str, note: str | None = None) -> dict:
    """Record the team's own call (ack, mitigated, resolved) with an optional note."""
    if what not in DECLARATIONS:
        raise UsageError(f"Unknown declaration {what!r}.", hint=f"one of: {', '.join(DECLARATIONS)}.")
    return Timeline(live.run.timeline_path).record(what, note=note, by="learner")


def show_hint(live: LiveLab, *, by: str) -> tuple[int, str] | None:
    """Reveal the next hint (recorded, and appended to the run's hints.md); None when all are out."""
    shown = live.run.read_state().hints_shown
    hints = live.scenario.hints
    if shown >= len(hints):
        return None
    live.run.write_state(hints_shown=shown + 1)
    Timeline(live.run.timeline_path).record("hint_shown", number=shown + 1, by=by)
    text = hints[shown].strip()
    with (live.run.dir / "hints.md").open("a") as out:
        out.write(f"## Hint {shown + 1} of {len(hints)} ({by})\n\n{text}\n\n")
    return shown + 1, text


def deploy(live: LiveLab, service: str) -> None:
    """Restart a service from its (possibly edited) working copy."""
    releases.service_dir(live.run.source_dir, service)
    live.restart(service)
    Timeline(live.run.timeline_path).record(
        "deployed", service=service, diff=bool(releases.diff(live.run.source_dir, service))
    )


def _say_edits_saved(live: LiveLab, service: str, saved: Path, echo: Echo) -> None:
    """Where a rollback kept a person's edits to ``service``, and how to bring them back."""
    echo(
        f"your edits to {service} are saved in {saved} "
        f"(to bring them back: cd {live.run.source_dir} && git apply {saved.name})"
    )


def rollback(live: LiveLab, service: str, echo: Echo = print) -> None:
    """Restore the shipped release of a service and restart it (the mitigation for a bad deploy).

    A person's edits to the working copy are saved as a patch first; ``echo`` says where.
    """
    saved = releases.restore(live.run.source_dir, service)
    if saved is not None:
        _say_edits_saved(live, service, saved, echo)
    live.restart(service)
    fields = {"edits_saved": str(saved)} if saved is not None else {}
    Timeline(live.run.timeline_path).record("rolled_back", service=service, **fields)


def save_metrics(run: Run) -> str | None:
    """Export the run's key signals and alert spans into its folder; None, or why it could not."""
    try:
        scenario = load_scenario(run.info.scenario)
    except LabError as exc:
        return exc.message
    if "prometheus" not in scenario.services:
        return "this lab has no Prometheus"
    try:
        client = client_of(run)
    except LabError as exc:  # a run without its secrets.env (an older chaoslab's)
        return exc.message
    return try_export(run, scenario, client)


def stop_lab(run: Run, echo: Echo | None = None) -> None:
    """Export the key metrics, take the lab down, sweep leftovers, drop bulky data; keep logs."""
    try:
        lab_api_process(run).stop(timeout_s=5)
        if problem := save_metrics(run):
            Timeline(run.timeline_path).record("metrics_not_exported", reason=problem)
        runtime_for(run).down()
    finally:
        run.remove_data()
        clear_current(run)
        Timeline(run.timeline_path).record("lab_down")
    if echo:
        echo(f"lab {run.id} stopped; logs and timeline kept in {run.dir}")


def find_mitigation(scenario: Scenario, mitigation: str) -> Mitigation:
    """The scenario's mitigation of that id; checked before a lab starts, not after its symptoms."""
    chosen = {m.id: m for m in scenario.mitigations}.get(mitigation)
    if chosen is None:
        known = ", ".join(m.id for m in scenario.mitigations) or "none"
        raise UsageError(
            f"Scenario {scenario.id} has no mitigation {mitigation!r}.", hint=f"its mitigations: {known}."
        )
    return chosen


def environment_check() -> list[str]:
    """Problems with this machine that would stop a lab, each a sentence with its fix."""
    from chaoslab.setup import BINARIES, find_binary

    problems = []
    for name in BINARIES:
        try:
            find_binary(name)
        except EnvironmentProblem as exc:
            problems.append(exc.render())
    return problems
