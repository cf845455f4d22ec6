"""Commands of a learner's incident: the catalog, start, status, declarations, hints, verify, stop."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chaoslab.cli.root import (
    Json,
    Note,
    PortBase,
    RuntimeOpt,
    Seed,
    SessionLength,
    Wait,
    app,
    console,
    echo,
    err,
    write_postmortem_draft,
)
from chaoslab.errors import NotHealthy
from chaoslab.output import emit_json, escape, format_length, new_table

if TYPE_CHECKING:
    from rich.table import Table

    from chaoslab.places import Place
    from chaoslab.running_lab import LiveLab

PANEL = "Run an incident"


@app.command("list", rich_help_panel=PANEL)
def list_(as_json: Json = False) -> None:
    """The scenario catalog."""
    from chaoslab.scenario_index import catalog

    scenarios = catalog()  # validated scenarios, cached between calls (lab/chaoslab/scenario_index.py)
    if as_json:
        emit_json({"scenarios": scenarios})
        return
    table = new_table(
        "chaoslab scenarios", ("id", "title", "chapter", "difficulty", "variants"), whole=("id",)
    )
    for scenario in scenarios:
        table.add_row(
            scenario["id"],
            escape(scenario["title"]),
            scenario["chapter"],
            scenario["difficulty"],
            str(len(scenario["variants"])),
        )
    console.print(table)


@app.command(rich_help_panel=PANEL)
def start(
    scenario_id: Annotated[str, typer.Argument(metavar="SCENARIO")],
    seed: Seed = 1,
    port_base: PortBase = None,
    runtime: RuntimeOpt = "local",
    no_fault: Annotated[bool, typer.Option("--no-fault", help="Bring the lab up healthy only.")] = False,
    session_s: SessionLength = None,
) -> None:
    """Start a lab in the background, start its load, inject the fault, print the incident brief."""
    from chaoslab import lifecycle
    from chaoslab.places import lab_places
    from chaoslab.reports.summary import checks_table
    from chaoslab.scenarios import load_scenario
    from chaoslab.scenarios.observe import observe

    scenario = load_scenario(scenario_id)
    started = time.monotonic()
    live = lifecycle.start_lab(
        scenario, seed=seed, port_base=port_base, runtime=runtime, session_s=session_s, echo=echo
    )
    session = live.run.read_state().session
    up_for = _session_line(session.summary() if session else None)
    echo(f"lab up in {time.monotonic() - started:.1f}s (run {live.run.id}); {up_for}")
    if no_fault:
        lifecycle.start_load(live)
        echo(f"load on: {scenario.load.users} simulated users ({lifecycle.load_bound(live)})")
        console.print("lab is up without a fault; `chaoslab status` to look around.")
        _print_places(lab_places(live.run, scenario.services))
        return
    baseline = lifecycle.start_incident(live, despite_baseline=True, echo=echo)
    if not baseline.ok:
        units = {name: probe.unit for name, probe in scenario.probes.items()}
        err.print(checks_table("baseline: the steady state did not hold", baseline.checks, units))
        err.print(
            "[yellow]warning:[/] the lab was not healthy before the fault (see above); the incident "
            "goes on, but its signals will be muddier. `chaoslab doctor` checks the machine."
        )
    expected = scenario.symptoms.alerts_firing
    firing: list[str] = []
    if expected:
        echo("waiting for the pager…")
        phase = observe(
            scenario,
            live,
            scenario.symptoms.model_copy(update={"checks": [], "alerts_resolved": []}),
            name="pager",
            latch=True,
        )
        firing = phase.firing
    brief = scenario.story.brief.strip()
    reports = "\n".join(f"  • “{r}”" for r in scenario.story.user_reports)
    alerts = "\n".join(f"  🔥 {a}" for a in firing) or "  (no alert is firing)"
    from rich.panel import Panel

    console.print(
        Panel(
            f"{brief}\n\n[bold]User reports[/]\n{reports}\n\n[bold]Monitoring alerts[/]\n{alerts}\n\n"
            "Your tools: chaoslab status | alerts | query | psql | logs | flags | env | hint\n"
            "When you think it is fixed: chaoslab verify",
            title=f"INCIDENT: {scenario.title}",
            border_style="red",
            # In a pipe the console has no width (lab/chaoslab/output.py): the panel fits its text.
            expand=console.is_terminal,
        )
    )
    _print_places(lab_places(live.run, scenario.services))


def _session_line(session: dict[str, float] | None) -> str:
    """When the lab takes itself down, for people: "up until 15:32 (42m 10s left; …)"."""
    if session is None:
        return "up until `chaoslab stop`"
    ends = time.strftime("%H:%M", time.localtime(session["ends_at"]))
    return f"up until {ends} ({format_length(session['left_s'])} left; `chaoslab extend` adds time)"


def _print_places(places: list[Place]) -> None:
    """Where the lab's UIs and files are (the end of `start`; all of them: `chaoslab open`)."""
    main = [p for p in places if p.main]
    width = max(len(p.name) for p in main)
    console.print("\n[bold]Where things are[/] (`chaoslab open NAME` opens one; `chaoslab open` lists all):")
    for place in main:
        line = f"  {place.name:<{width}}  {place.location}  [dim]{escape(place.what)}[/]"
        console.print(line, highlight=False)


def _service_table(services: list[dict[str, Any]]) -> Table:
    table = new_table(
        "services",
        ("service", "role", "state", "pid", "restarts", "last exit"),
        whole=("service", "state"),
        right=("pid", "restarts"),
    )
    colors = {"healthy": "green", "running": "green", "starting": "yellow", "restarting": "yellow"}
    for status in services:
        color = colors.get(status["state"], "red")
        code = status.get("last_exit_code")
        last_exit = f"{code} ({status.get('last_exit_reason')})" if code is not None else ""
        table.add_row(
            status["name"],
            status.get("role", ""),
            f"[{color}]{status['state']}[/]",
            str(status.get("pid") or ""),
            str(status.get("restarts", 0)),
            last_exit,
        )
    return table


@app.command(rich_help_panel=PANEL)
def status(as_json: Json = False) -> None:
    """Services with health, firing alerts and the scenario's key signals (exit 1: a service is down)."""
    from chaoslab.lab_api.client import ask

    answer = ask("GET", "/status")
    if answer is None:  # no lab API answered: work it out here, where an error shows its hint
        from chaoslab import lifecycle
        from chaoslab.lab_api.answers import status_answer

        answer = status_answer(lifecycle.open_lab())
    if as_json:
        emit_json(answer)
    else:
        run = answer["run"]
        console.print(
            f"run [bold]{run['id']}[/] · scenario {run['scenario']} · seed {run['seed']} · "
            f"phase {answer['phase']} · {_session_line(answer['session'])}"
        )
        console.print(_service_table(answer["services"]))
        table = new_table("key signals", ("signal", "now"), right=("now",))
        for signal_ in answer["signals"]:
            table.add_row(escape(str(signal_["description"])), escape(str(signal_["text"])))
        console.print(table)
        console.print("alerts firing: " + (", ".join(f"[red]{a}[/]" for a in answer["firing"]) or "none"))
    if not answer["healthy"]:
        raise typer.Exit(1)


@app.command(rich_help_panel=PANEL)
def hint(as_json: Json = False) -> None:
    """The next hint (each call reveals one more)."""
    from chaoslab import lifecycle

    live = lifecycle.open_lab()
    total = len(live.scenario.hints)
    shown = lifecycle.show_hint(live, by="learner")
    if as_json:
        number, text = shown if shown is not None else (None, None)
        emit_json({"number": number, "total": total, "text": text, "file": live.run.dir / "hints.md"})
        return
    if shown is None:
        console.print(f"No more hints ({total} of {total} shown). `chaoslab fix` applies the reference fix.")
        return
    number, text = shown
    from rich.panel import Panel

    console.print(Panel(text, title=f"hint {number} of {total}", expand=console.is_terminal))
    console.print(f"[dim]every hint shown so far: {live.run.dir / 'hints.md'}[/]")


@app.command(rich_help_panel=PANEL)
def ack(note: Note = None) -> None:
    """Declare the incident seen ("we see it"); the time to detect runs until now."""
    _declare("ack", note)


@app.command(rich_help_panel=PANEL)
def mitigated(note: Note = None) -> None:
    """Declare the impact on users stopped (a stop-gap is in place); the time to mitigate runs until now."""
    _declare("mitigated", note)


@app.command(rich_help_panel=PANEL)
def resolved(
    note: Note = None,
    wait: Wait = 0,
    as_json: Json = False,
) -> None:
    """Declare the cause fixed, then check recovery like `verify`: resolution counts once they hold."""
    from chaoslab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.declare(live, "resolved", note)
    verify_lab(live, wait, as_json=as_json)


def _declare(what: str, note: str | None) -> None:
    from chaoslab import lifecycle
    from chaoslab.reports.timings import compute_timings, format_duration
    from chaoslab.runs import Timeline

    live = lifecycle.open_lab()
    entry = lifecycle.declare(live, what, note)
    since = compute_timings(Timeline(live.run.timeline_path).events()).since_injection(entry["ts"])
    after = f", {format_duration(since)} after the fault" if since is not None else ""
    console.print(f"{what} recorded{after}: {lifecycle.DECLARATIONS[what]}.")


@app.command(rich_help_panel=PANEL)
def verify(wait: Wait = 0, as_json: Json = False) -> None:
    """Check the recovery probes: exit 0 when the lab is healthy again, 1 when not."""
    from chaoslab.lab_api.client import ask

    # A wait is the learner's own: it runs here, and the lab API stays free for `status`.
    answer = ask("POST", "/verify") if wait == 0 else None
    if answer is None:
        from chaoslab import lifecycle

        verify_lab(lifecycle.open_lab(), wait, as_json=as_json)
    else:
        show_verdict(answer, as_json=as_json)


def verify_lab(live: LiveLab, wait: int, *, as_json: bool = False) -> None:
    """Check the lab's recovery in this process, then report it as `verify` does."""
    from chaoslab.lab_api.answers import verify_answer

    show_verdict(verify_answer(live, wait), as_json=as_json)


def show_verdict(answer: dict[str, Any], *, as_json: bool) -> None:
    """The verdict as a table (or its JSON document); NotHealthy (exit 1) when it does not hold."""
    from chaoslab.reports.summary import checks_table

    verdict = answer["verdict"]
    if as_json:
        emit_json(verdict)
    else:
        console.print(checks_table("recovery checks", verdict["checks"], answer["units"]))
    if not verdict["verified"]:
        failing = [c["label"] for c in verdict["checks"] if not c["held"]]
        raise NotHealthy(
            f"Not recovered yet: {', '.join(failing)} do not hold.",
            hint="signals are averaged over ~20 s: give a fix that long, or `chaoslab verify --wait 60`.",
        )
    if not as_json:
        console.print("[green]verified: the lab is healthy again.[/]")


@app.command(rich_help_panel=PANEL)
def stop() -> None:
    """Take the lab down: no process, port or data file of it left behind."""
    from chaoslab import lifecycle
    from chaoslab.runs import current_run

    run = current_run()
    if run is None:
        console.print("no lab is running")
        return
    lifecycle.stop_lab(run, echo=echo)
    write_postmortem_draft(run)
