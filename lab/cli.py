"""The `chaoslab` command line. Exit codes: 0 ok, 1 not healthy / not verified, 2 usage or environment."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from lab import lifecycle, releases
from lab.errors import LabError, NotHealthy, UsageError
from lab.gameday.plan import load_plan, schedule
from lab.gameday.runner import prepare_gameday, run_gameday, team_command
from lab.gameday.state import GameDayFolder, latest_gameday
from lab.live import LiveLab
from lab.observability.traces import find_traces, render
from lab.probes.cache_consistency import find_mismatches
from lab.reports.board import live_board
from lab.reports.junit import ScenarioCase, write_junit
from lab.reports.postmortem import write_postmortem
from lab.reports.summary import checks_table, format_value, outcome_view
from lab.reports.timings import compute_timings, format_duration
from lab.runs import Run, Timeline, current_run
from lab.runs.run import state_home
from lab.scenarios import list_scenarios, load_scenario
from lab.scenarios.observe import measure, observe
from lab.setup import find_binary

app = typer.Typer(
    help="chaoslab: real incidents on a small, real system. Start with `chaoslab list`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

Seed = Annotated[int, typer.Option("--seed", help="Same seed, same variant, data and load mix.")]
PortBase = Annotated[
    int | None,
    typer.Option("--port-base", help="First of the ~30 ports the lab uses (default 15400)."),
]
RuntimeOpt = Annotated[
    str,
    typer.Option(
        "--runtime", help="Where services run: local (processes) or docker (containers, `chaoslab images`)."
    ),
]


def echo(message: str) -> None:
    err.print(f"[dim]·[/] {message}")


@app.command("list")
def list_() -> None:
    """The scenario catalog."""
    table = Table(title="chaoslab scenarios", title_justify="left")
    for column in ("id", "title", "chapter", "difficulty", "variants"):
        table.add_column(column)
    for scenario in list_scenarios():
        table.add_row(
            scenario.id,
            scenario.title,
            scenario.chapter,
            scenario.difficulty,
            str(len(scenario.variants)),
        )
    console.print(table)


@app.command()
def setup(
    docker: Annotated[
        bool, typer.Option("--docker", help="Also install docker.io and start dockerd (docker runtime).")
    ] = False,
) -> None:
    """Install the programs the lab runs (Debian: apt; Toxiproxy: go install)."""
    from lab.setup import install_missing

    done = install_missing(echo=echo)
    if docker:
        from lab.setup.docker import ensure_engine

        ensure_engine(echo=echo)
    console.print("everything is installed" if not done else f"installed: {', '.join(done)}")


images_app = typer.Typer(help="The container images of the docker runtime.", no_args_is_help=True)
app.add_typer(images_app, name="images")


@images_app.command("build")
def images_build(
    offline: Annotated[
        bool,
        typer.Option(
            "--offline/--upstream",
            help="Build every image from Debian packages and local wheels, no registry (the default); "
            "or only the app image, for upstream postgres/redis/toxiproxy/prometheus images.",
        ),
    ] = True,
) -> None:
    """Build the images the docker runtime needs; what is built and unchanged is kept."""
    from lab.runtimes.docker.images import build_images

    images = build_images(offline=offline, echo=echo)
    for field, reference in images.model_dump().items():
        console.print(f"{field:<11} {reference}", highlight=False)


@app.command()
def compose(
    scenario: Annotated[str, typer.Option("--scenario", help="Whose lab to render.")] = "db-pool-exhaustion",
    prepare: Annotated[
        Path | None,
        typer.Option("--prepare", help="Instead, fill this folder with the files the services read."),
    ] = None,
) -> None:
    """Print a docker compose file of a scenario's lab, from the same specs as the docker runtime."""
    from lab.runtimes.docker.compose import compose_file, prepare_folder

    if prepare is not None:
        folder = prepare_folder(prepare, scenario)
        console.print(f"export CHAOSLAB_RUN_DIR={folder}", highlight=False)
        return
    sys.stdout.write(compose_file(scenario))


@images_app.command("list")
def images_list() -> None:
    """The images the docker runtime would use, and which are missing."""
    from lab.runtimes.docker.images import image_set, missing_images
    from lab.runtimes.docker.runtime import IMAGE_SET_ENV

    images = image_set(offline=os.environ.get(IMAGE_SET_ENV, "offline") != "upstream")
    missing = set(missing_images(images))
    for field, reference in images.model_dump().items():
        mark = "[red]missing[/]" if reference in missing else "[green]built[/]"
        console.print(f"{field:<11} {reference}  {mark}", highlight=False)
    if missing:
        err.print("build them with `chaoslab images build --offline`")
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Check this machine: binaries, state folder, a lab left running."""
    problems = lifecycle.environment_check()
    console.print(f"state home: {state_home()}")
    run = current_run()
    console.print(f"active lab: {run.id if run else 'none'}")
    _sweep_containers(run)
    if problems:
        for problem in problems:
            err.print(f"[red]✗[/] {problem}")
        raise typer.Exit(2)
    console.print("[green]✓[/] all binaries found")


def _sweep_containers(active: Run | None) -> None:
    """Containers of runs that are over (a crashed harness, a killed test) go, by their label."""
    from lab.errors import EnvironmentProblem
    from lab.runtimes.docker.runtime import sweep_leftovers

    try:
        removed = sweep_leftovers(active.id if active else None)
    except EnvironmentProblem:
        console.print("docker: no engine answers (only the docker runtime needs one)")
        return
    console.print(
        f"docker: removed {len(removed)} leftovers of finished runs" if removed else "docker: clean"
    )


@app.command()
def start(
    scenario_id: Annotated[str, typer.Argument(metavar="SCENARIO")],
    seed: Seed = 1,
    port_base: PortBase = None,
    runtime: RuntimeOpt = "local",
    no_fault: Annotated[bool, typer.Option("--no-fault", help="Bring the lab up healthy only.")] = False,
) -> None:
    """Start a lab in the background, start its load, inject the fault, print the incident brief."""
    scenario = load_scenario(scenario_id)
    started = time.monotonic()
    live = lifecycle.start_lab(scenario, seed=seed, port_base=port_base, runtime=runtime, echo=echo)
    echo(f"lab up in {time.monotonic() - started:.1f}s (run {live.run.id})")
    lifecycle.start_load(live)
    echo(
        f"load on: {scenario.load.users} simulated users (stops by itself after {scenario.load.max_seconds}s)"
    )
    if no_fault:
        console.print("lab is up without a fault; `chaoslab status` to look around.")
        return
    echo(f"letting the lab warm up ({scenario.warmup_s}s)")
    time.sleep(scenario.warmup_s)
    lifecycle.inject(live)
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
    console.print(
        Panel(
            f"{brief}\n\n[bold]User reports[/]\n{reports}\n\n[bold]Monitoring alerts[/]\n{alerts}\n\n"
            "Your tools: chaoslab status | alerts | query | psql | logs | flags | env | hint\n"
            "When you think it is fixed: chaoslab verify",
            title=f"INCIDENT: {scenario.title}",
            border_style="red",
        )
    )


def _service_table(live: LiveLab) -> Table:
    table = Table(title="services", title_justify="left")
    for column in ("service", "role", "state", "pid", "restarts", "last exit"):
        table.add_column(column)
    colors = {"healthy": "green", "running": "green", "starting": "yellow", "restarting": "yellow"}
    for status in live.runtime.status().values():
        color = colors.get(status.state, "red")
        last_exit = (
            f"{status.last_exit_code} ({status.last_exit_reason})"
            if status.last_exit_code is not None
            else ""
        )
        table.add_row(
            status.name,
            status.role,
            f"[{color}]{status.state}[/]",
            str(status.pid or ""),
            str(status.restarts),
            last_exit,
        )
    return table


@app.command()
def status() -> None:
    """Services with health, firing alerts and the scenario's key signals."""
    live = lifecycle.open_lab()
    state = live.run.read_state()
    console.print(
        f"run [bold]{live.run.id}[/] · scenario {live.scenario.id} · seed {live.run.info.seed} · "
        f"phase {state.get('phase', 'up')}"
    )
    console.print(_service_table(live))
    signals = Table(title="key signals", title_justify="left")
    signals.add_column("signal")
    signals.add_column("now", justify="right")
    for name in live.scenario.summary_probes:
        probe = live.scenario.probes[name]
        value, error = measure(live.scenario, live, name)
        signals.add_row(probe.description or name, error or format_value(value, probe.unit))
    console.print(signals)
    firing = sorted(live.prometheus.firing())
    console.print("alerts firing: " + (", ".join(f"[red]{a}[/]" for a in firing) or "none"))
    unhealthy = [
        s.name for s in live.runtime.status().values() if s.state not in ("healthy", "running", "exited")
    ]
    if unhealthy:
        raise typer.Exit(1)


@app.command()
def alerts() -> None:
    """Alerts of the lab's Prometheus, pending and firing, with the chapter's names."""
    live = lifecycle.open_lab()
    table = Table(title="alerts", title_justify="left")
    for column in ("alert", "chapter name", "state", "since", "summary"):
        table.add_column(column)
    for alert in live.prometheus.alerts():
        annotations = alert.get("annotations", {})
        table.add_row(
            alert["labels"]["alertname"],
            annotations.get("chapter_name", ""),
            alert["state"],
            alert.get("activeAt", "")[11:19],
            annotations.get("summary", ""),
        )
    console.print(table if table.row_count else "no alert is pending or firing")


@app.command()
def query(promql: Annotated[str, typer.Argument(metavar="PROMQL")]) -> None:
    """Run a PromQL query against the lab's Prometheus."""
    live = lifecycle.open_lab()
    result = live.prometheus.query(promql)
    if not result:
        console.print("(empty result)")
    for series in result:
        labels = ",".join(f'{k}="{v}"' for k, v in series["metric"].items())
        console.print(f"{{{labels}}} {series['value'][1]}")


@app.command()
def dashboard() -> None:
    """The team's saved dashboard: each panel's query run now, or "No data" as Grafana shows it."""
    live = lifecycle.open_lab()
    panels = live.scenario.dashboard
    if not panels:
        raise UsageError(
            f"Scenario {live.scenario.id} has no saved dashboard.",
            hint="`chaoslab status` shows its key signals; `chaoslab query PROMQL` runs any query.",
        )
    table = Table(title=f"dashboard: {live.scenario.title}", title_justify="left")
    for column in ("panel", "value", "query"):
        table.add_column(column)
    empty = 0
    for panel in panels:
        result = live.prometheus.query(panel.query)
        values = [format_value(_number(series["value"][1]), panel.unit) for series in result]
        empty += not values
        table.add_row(panel.title, ", ".join(values) or "[yellow]No data[/]", escape(panel.query))
    console.print(table)
    if empty:
        raise typer.Exit(1)


def _number(raw: str) -> float | None:
    value = float(raw)
    return None if value != value else value  # NaN: a panel with a series but no rate yet


@app.command()
def targets() -> None:
    """Prometheus' scrape targets: job, URL, health, last scrape and its error (the /targets page)."""
    live = lifecycle.open_lab()
    table = Table(title="scrape targets", title_justify="left")
    for column in ("job", "url", "health", "last scrape", "took", "last error"):
        table.add_column(column)
    colors = {"up": "green", "down": "red"}
    for target in sorted(live.prometheus.targets(), key=lambda t: t["labels"].get("job", "")):
        health = target["health"]
        table.add_row(
            target["labels"].get("job", ""),
            target["scrapeUrl"],
            f"[{colors.get(health, 'yellow')}]{health}[/]",
            "never" if target.get("lastScrape", "").startswith("0001") else target["lastScrape"][11:19],
            f"{target.get('lastScrapeDuration', 0):.2f}s",
            escape(target.get("lastError", "")),
        )
    console.print(table)
    console.print(
        f"[dim]the page: {live.prometheus.url}/targets · config: {live.run.config_dir / 'prometheus.yml'}[/]"
    )


@app.command()
def hint() -> None:
    """The next hint (each call reveals one more)."""
    live = lifecycle.open_lab()
    total = len(live.scenario.hints)
    shown = lifecycle.show_hint(live, by="learner")
    if shown is None:
        console.print(f"No more hints ({total} of {total} shown). `chaoslab fix` applies the reference fix.")
        return
    number, text = shown
    console.print(Panel(text, title=f"hint {number} of {total}"))
    console.print(f"[dim]every hint shown so far: {live.run.dir / 'hints.md'}[/]")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(
    ctx: typer.Context,
    command: Annotated[str | None, typer.Option("-c", help="Run one SQL command.")] = None,
) -> None:
    """A psql session on the lab database (straight to PostgreSQL, not through Toxiproxy)."""
    live = lifecycle.open_lab()
    argv = [find_binary("psql"), live.admin_dsn, *(["-c", command] if command else []), *ctx.args]
    sys.stdout.flush()
    os.execv(argv[0], argv)


@app.command("redis-cli", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def redis_cli(ctx: typer.Context) -> None:
    """The real redis-cli against the lab's Redis (e.g. `chaoslab redis-cli MONITOR`)."""
    live = lifecycle.open_lab()
    argv = [find_binary("redis-cli"), "-h", "127.0.0.1", "-p", str(live.ports["redis"]), *ctx.args]
    os.execv(argv[0], argv)


@app.command()
def env() -> None:
    """The lab's endpoints as shell exports: eval "$(chaoslab env)"."""
    live = lifecycle.open_lab()
    for key, value in live.endpoints().items():
        print(f"export {key}='{value}'")


@app.command()
def flags(
    name: Annotated[str | None, typer.Argument(help="A flag to change.")] = None,
    value: Annotated[str | None, typer.Argument(help="on or off")] = None,
) -> None:
    """Show feature flags, or set one: `chaoslab flags browse-by-category off`."""
    live = lifecycle.open_lab()
    if name is not None:
        if value not in ("on", "off"):
            raise UsageError("Say `on` or `off` after the flag name.", hint=f"chaoslab flags {name} off")
        previous = live.flags.set(name, value == "on")
        Timeline(live.run.timeline_path).record(
            "flag_changed", flag=name, enabled=value == "on", by="learner"
        )
        console.print(f"{name}: {'on' if previous else 'off'} → {value}")
        return
    for flag, enabled in live.flags.read().items():
        console.print(f"{flag}: {'[green]on[/]' if enabled else 'off'}")


@app.command()
def logs(
    service: str,
    lines: Annotated[int, typer.Option("-n", help="How many lines.")] = 40,
    follow: Annotated[bool, typer.Option("-f", help="Keep printing new lines.")] = False,
) -> None:
    """The log of one service (the supervisor's too: `chaoslab logs supervisor`)."""
    run = current_run() or _last_run()
    path = run.log_path(service)
    if not path.exists():
        known = sorted(p.stem for p in run.logs_dir.glob("*.log"))
        raise UsageError(
            f"No log for {service!r} in run {run.id}.", hint=f"logs exist for: {', '.join(known)}."
        )
    argv = ["tail", "-n", str(lines), *(["-F"] if follow else []), str(path)]
    os.execvp(argv[0], argv)


def _last_run() -> Run:
    runs = sorted((state_home() / "runs").glob("*/run.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise UsageError("No lab has run yet.", hint="chaoslab start db-pool-exhaustion")
    return Run.load(runs[-1].parent.name)


@app.command()
def traces(
    service: Annotated[
        str | None, typer.Option("--service", help="Only traces through this service.")
    ] = None,
    trace_id: Annotated[
        str | None, typer.Option("--trace-id", help="One trace (e.g. from an X-Trace-Id header).")
    ] = None,
    last: Annotated[int, typer.Option("--last", help="How many recent traces.")] = 10,
) -> None:
    """Traces as trees: service, span, duration and key attributes (cache hit, SQL, Redis key)."""
    run = current_run() or _last_run()
    found = find_traces(run.traces_dir, service=service, trace_id=trace_id, last=last)
    if not found:
        raise UsageError(
            f"No trace {trace_id or 'yet'} in run {run.id}"
            + (f" through {service!r}" if service and not trace_id else "")
            + ".",
            hint="spans are written every few seconds: send a request, wait a moment, try again.",
        )
    for trace in found:
        console.print(render(trace))


SHOWN_MISMATCHES = 20


@app.command()
def check(
    what: Annotated[str, typer.Argument(metavar="WHAT", help="consistency: cached profiles vs the database")],
) -> None:
    """Data checks: `chaoslab check consistency` compares every cached profile with its database row."""
    if what != "consistency":
        raise UsageError(f"Unknown check {what!r}.", hint="chaoslab check consistency")
    live = lifecycle.open_lab()
    if not {"redis", "postgres"} <= set(live.scenario.services):
        raise UsageError(f"Scenario {live.scenario.id} has no cache in front of its database to check.")
    checked, mismatches = find_mismatches(live.redis_url, live.admin_dsn)
    table = Table(title="cached profiles that differ from the database", title_justify="left")
    for column in ("key", "differs in", "cache", "database", "expires in"):
        table.add_column(column)
    for mismatch in mismatches[:SHOWN_MISMATCHES]:
        shown = [f for f in mismatch.fields if f not in ("version", "updated_at")]

        def side(profile: dict | None, shown: list[str] = shown) -> str:
            if profile is None:
                return "(no row)"
            return " · ".join([f"v{profile.get('version')}", *(f"{f}={profile.get(f)}" for f in shown)])

        table.add_row(
            mismatch.key,
            ", ".join(mismatch.fields),
            side(mismatch.cached),
            side(mismatch.stored),
            f"{mismatch.ttl_s}s",
        )
    if len(mismatches) > SHOWN_MISMATCHES:
        table.caption = f"… and {len(mismatches) - SHOWN_MISMATCHES} more"
    if mismatches:
        console.print(table)
        raise NotHealthy(
            f"{len(mismatches)} of {checked} cached profiles differ from the database.",
            hint="entries stay wrong until they expire or are deleted (`chaoslab redis-cli DEL <key>`); "
            "fix what writes them first.",
        )
    console.print(f"[green]all {checked} cached profiles match the database.[/]")


@app.command()
def verify(
    wait: Annotated[int, typer.Option("--wait", help="Seconds to keep trying before saying no.")] = 0,
) -> None:
    """Check the recovery probes: exit 0 when the lab is healthy again, 1 when not."""
    _verify(lifecycle.open_lab(), wait)


def _verify(live: LiveLab, wait: int) -> None:
    expectation = live.scenario.recovery.model_copy(update={"within_s": max(wait, 1)})
    phase = observe(live.scenario, live, expectation, name="verify", latch=False, wait=wait > 0)
    units = {name: probe.unit for name, probe in live.scenario.probes.items()}
    console.print(checks_table("recovery checks", phase.checks, units))
    Timeline(live.run.timeline_path).record("verified", ok=phase.ok, by="learner")
    if not phase.ok:
        failing = [c.label for c in phase.checks if not c.held]
        raise NotHealthy(
            f"Not recovered yet: {', '.join(failing)} do not hold.",
            hint="signals are averaged over ~20 s: give a fix that long, or `chaoslab verify --wait 60`.",
        )
    live.run.write_state(phase="verified")
    console.print("[green]verified: the lab is healthy again.[/]")


@app.command()
def fix() -> None:
    """Apply the scenario's reference fix (for trainers and CI)."""
    live = lifecycle.open_lab()
    lifecycle.apply_fix(live)
    console.print(f"applied: {live.scenario.fix_for(live.run.info.variant).description}")


@app.command()
def mitigate(mitigation_id: Annotated[str, typer.Argument(metavar="MITIGATION")]) -> None:
    """Apply one of the scenario's mitigations (e.g. flag-off, bigger-pool)."""
    live = lifecycle.open_lab()
    lifecycle.apply_mitigation(live, mitigation_id)
    console.print(f"applied mitigation {mitigation_id}")


@app.command()
def deploy(service: str) -> None:
    """Redeploy a service from its working copy (after you edited the code shown by `chaoslab code`)."""
    live = lifecycle.open_lab()
    lifecycle.deploy(live, service)
    console.print(f"{service} redeployed from {live.run.source_dir / 'services' / service}")


@app.command()
def rollback(service: str) -> None:
    """Roll a service back to the release shipped with the lab, and restart it."""
    live = lifecycle.open_lab()
    lifecycle.rollback(live, service)
    console.print(f"{service} rolled back to the shipped release")


@app.command()
def code(
    service: str,
    show_diff: Annotated[bool, typer.Option("--diff", help="Show what the deployed code changed.")] = False,
) -> None:
    """Where a service's deployed code is (edit it there, then `chaoslab deploy`), or its diff."""
    live = lifecycle.open_lab()
    if show_diff:
        console.print(
            releases.diff(live.run.source_dir, service) or "(the deployed code is the shipped release)"
        )
        return
    print(releases.service_dir(live.run.source_dir, service))


@app.command()
def stop() -> None:
    """Take the lab down: no process, port or data file of it left behind."""
    run = current_run()
    if run is None:
        console.print("no lab is running")
        return
    lifecycle.stop_lab(run, echo=echo)
    _write_postmortem(run)


Note = Annotated[str | None, typer.Argument(help="What you saw or did, in a few words, for the post-mortem.")]


@app.command()
def ack(note: Note = None) -> None:
    """Declare the incident seen ("we see it"); the time to detect runs until now."""
    _declare("ack", note)


@app.command()
def mitigated(note: Note = None) -> None:
    """Declare the impact on users stopped (a stop-gap is in place); the time to mitigate runs until now."""
    _declare("mitigated", note)


@app.command()
def resolved(
    note: Note = None,
    wait: Annotated[int, typer.Option("--wait", help="Seconds to keep checking before saying no.")] = 0,
) -> None:
    """Declare the cause fixed, then check recovery like `verify`: resolution counts once they hold."""
    live = lifecycle.open_lab()
    lifecycle.declare(live, "resolved", note)
    _verify(live, wait)


def _declare(what: str, note: str | None) -> None:
    live = lifecycle.open_lab()
    entry = lifecycle.declare(live, what, note)
    since = compute_timings(Timeline(live.run.timeline_path).events()).since_injection(entry["ts"])
    after = f", {format_duration(since)} after the fault" if since is not None else ""
    console.print(f"{what} recorded{after}: {lifecycle.DECLARATIONS[what]}.")


def _pick_run(ref: str | None) -> Run:
    if ref is None:
        return current_run() or _last_run()
    if Path(ref).is_dir():
        return Run.at(Path(ref).resolve())
    return Run.load(ref)


def _write_postmortem(run: Run) -> None:
    try:
        files = write_postmortem(run)
    except LabError as exc:
        err.print(f"[yellow]no post-mortem draft:[/] {exc.render()}")
        return
    echo(f"post-mortem draft: {files.markdown} (and {files.html.name}, graphs/)")


@app.command()
def report(
    run_ref: Annotated[
        str | None,
        typer.Argument(metavar="[RUN]", help="A run id or run folder (default: the current or last run)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write to (default: RUN/report).")
    ] = None,
) -> None:
    """Write a run's blameless post-mortem draft: Markdown, a self-contained HTML page, PNG graphs."""
    run_ = _pick_run(run_ref)
    active = current_run()
    if active is not None and active.id == run_.id and (problem := lifecycle.save_metrics(run_)):
        err.print(f"[yellow]graphs may be missing:[/] {problem}")
    files = write_postmortem(run_, out)
    console.print(f"post-mortem draft: {files.markdown}")
    console.print(f"self-contained page: {files.html}")
    console.print(f"graphs: {', '.join(p.name for p in files.graphs) or 'none (no metrics exported)'}")


@app.command()
def gameday(
    target: Annotated[str, typer.Argument(metavar="PLAN.yaml|board", help="A plan to run, or `board`.")],
    directory: Annotated[
        Path | None, typer.Argument(metavar="[DIR]", help="board: the game-day folder (default: the latest).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Spin the wheel with this seed instead of the plan's.")
    ] = None,
    port_base: PortBase = None,
    folder_dir: Annotated[
        Path | None, typer.Option("--dir", help="The game-day folder (default: under the state home).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate the plan and show the draws; start nothing.")
    ] = False,
    once: Annotated[bool, typer.Option("--once", help="board: print it once instead of live.")] = False,
) -> None:
    """Run a trainer's game day (`gameday plan.yaml`), or watch its scoreboard (`gameday board [DIR]`)."""
    if target == "board":
        folder = GameDayFolder(directory.resolve()) if directory else latest_gameday()
        if once:
            console.print(live_board(folder.load()))
            return
        with Live(live_board(folder.load()), console=console, refresh_per_second=1) as view:
            while not (state := folder.load()).finished:
                time.sleep(1)
                view.update(live_board(state))
            view.update(live_board(state))
        return
    if dry_run:
        plan = load_plan(Path(target))
        table = Table(title=f"game day {plan.name}: the draws", title_justify="left")
        for column in ("round", "incidents (scenario, seed)", "time limit", "hints released at"):
            table.add_column(column)
        for round_ in schedule(plan, seed):
            table.add_row(
                round_.name,
                ", ".join(f"{i.scenario} ({i.seed})" for i in round_.incidents),
                f"{round_.time_limit_s}s",
                ", ".join(f"+{s}s" for s in round_.hints.release_after_s) or "—",
            )
        console.print(table)
        console.print(f"teams: {', '.join(plan.teams)}")
        return
    folder = prepare_gameday(Path(target), seed=seed, directory=folder_dir, port_base=port_base)
    console.print(f"game day folder: {folder.dir}")
    console.print(f"live board (another terminal): chaoslab gameday board {folder.dir}")
    homes = {i.label: i for r in folder.load().rounds for i in r.incidents}
    for label, incident in homes.items():
        console.print(f"  team {label}: {team_command(incident)}", highlight=False, soft_wrap=True)
    state = run_gameday(folder, echo=echo)
    console.print(live_board(state))
    console.print(f"board: {folder.dir / 'board.md'} · {folder.dir / 'board.html'}")


@app.command()
def run(
    scenario_ids: Annotated[list[str] | None, typer.Argument(metavar="[SCENARIO...]")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Run every scenario of the catalog.")] = False,
    seed: Seed = 1,
    port_base: PortBase = None,
    runtime: RuntimeOpt = "local",
    mitigation: Annotated[
        str | None, typer.Option("--mitigation", help="Apply this mitigation instead of the fix.")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Write JUnit XML here: one testcase per scenario.")
    ] = None,
) -> None:
    """Run scenarios end to end: up, baseline, fault, symptoms, fix, recovery, summary, down."""
    if all_ == bool(scenario_ids):
        raise UsageError("Name the scenarios to run, or say --all (not both).", hint="chaoslab run --all")
    scenarios = list_scenarios() if all_ else [load_scenario(s) for s in scenario_ids or []]
    failed = []
    cases: list[ScenarioCase] = []
    try:
        for scenario in scenarios:
            started = time.monotonic()
            outcome = lifecycle.run_scenario(
                scenario,
                seed=seed,
                port_base=port_base,
                runtime=runtime,
                mitigation=mitigation,
                echo=echo,
            )
            seconds = time.monotonic() - started
            cases.append(
                ScenarioCase(
                    scenario.id, seed, outcome.variant, outcome.run_id, seconds, outcome.phases, outcome.error
                )
            )
            console.print(outcome_view(scenario, outcome.phases))
            if outcome.error:
                err.print(f"[red]{outcome.error}[/]")
            verdict = "[green]PASSED[/]" if outcome.ok else "[red]FAILED[/]"
            console.print(
                f"{scenario.id} (seed {seed}, variant {outcome.variant}): {verdict} in "
                f"{seconds:.0f}s · run {outcome.run_id}"
            )
            _write_postmortem(Run.load(outcome.run_id))
            if not outcome.ok:
                failed.append(scenario.id)
    finally:
        if junit is not None:
            echo(f"JUnit XML: {write_junit(junit, cases)}")
    if failed:
        raise typer.Exit(1)


def _terminate(signum: int, _frame: object) -> None:
    # SystemExit unwinds through `finally`, so a `run` takes its lab down on SIGTERM too.
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point: turn LabErrors into one clear message and the right exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)
    except LabError as exc:
        err.print(f"[red]error:[/] {escape(exc.render())}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        err.print(
            "interrupted; the lab of a `run` is taken down, a started lab keeps running (`chaoslab stop`)."
        )
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
