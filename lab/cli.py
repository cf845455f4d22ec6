"""The `chaoslab` command line. Exit codes: 0 ok, 1 not healthy / not verified, 2 usage or environment.

Answering at once is part of the interface: `chaoslab --help` and `chaoslab list` take a few
tenths of a second. So this module imports only typer, rich and light lab modules; whatever
pulls HTTP clients, database drivers, runtimes or plotting (lab.lifecycle, lab.live, reports,
game days) is imported inside the command that uses it. Check with
`python -X importtime -c 'import lab.cli'`; `bench/cli_speed.py` times every command.

Output rules (lab/output.py): in a pipe nothing is cut or wrapped; in a terminal tables wrap,
never cut; `--json` writes one JSON document to stdout (shapes: docs/cli-json.md), and progress
goes to stderr.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from lab import __version__
from lab.errors import LabError, NotHealthy, UsageError
from lab.output import emit_json, make_console, new_table

if TYPE_CHECKING:
    from lab.live import LiveLab
    from lab.observability.prometheus import PrometheusClient
    from lab.places import Place
    from lab.runs import Run
    from lab.scenarios.observe import PhaseResult

app = typer.Typer(
    help="chaoslab: real incidents on a small, real system. Start with `chaoslab list`.",
    epilog="Environment: CHAOSLAB_HOME (where runs live), CHAOSLAB_CACHE (database templates, "
    "Toxiproxy), CHAOSLAB_PORT_BASE (the lab's first port); every CHAOSLAB_* variable is in "
    "docs/environment.md. JSON shapes of --json: docs/cli-json.md.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
console = make_console()
err = make_console(stderr=True)

# The lab uses base…base+30 (lab/specs/ports.py): the block must end below 65536.
PORT_BASE_MIN, PORT_BASE_MAX = 1024, 65535 - 40
# Seeds reach numpy and every service's random generator: 32 bits.
SEED_MAX = 2**32 - 1
# `--wait`: an hour is longer than any recovery the lab measures.
WAIT_MAX_S = 3600

Seed = Annotated[
    int,
    typer.Option("--seed", min=0, max=SEED_MAX, help="Same seed, same variant, data and load mix."),
]
PortBase = Annotated[
    int | None,
    typer.Option(
        "--port-base",
        min=PORT_BASE_MIN,
        max=PORT_BASE_MAX,
        envvar="CHAOSLAB_PORT_BASE",
        help="First of the ~30 ports the lab uses (default 15400).",
    ),
]
# A game day's plan may set its port base, and the plan wins over $CHAOSLAB_PORT_BASE there.
GameDayPortBase = Annotated[
    int | None,
    typer.Option(
        "--port-base",
        min=PORT_BASE_MIN,
        max=PORT_BASE_MAX,
        help="First port of the first team's lab (default: the plan's, else $CHAOSLAB_PORT_BASE, "
        "else 15400).",
    ),
]
RuntimeName = Literal["local", "docker"]
RuntimeOpt = Annotated[
    RuntimeName,
    typer.Option(
        "--runtime", help="Where services run: local (processes) or docker (containers, `chaoslab images`)."
    ),
]
Json = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (shapes: docs/cli-json.md).")
]
Wait = Annotated[
    int,
    typer.Option("--wait", min=0, max=WAIT_MAX_S, help="Seconds to keep trying before saying no."),
]
# What a service's state must be for `status` to say healthy (exit 0).
HEALTHY_STATES = ("healthy", "running", "exited")


def _print_version(value: bool) -> None:
    if value:
        print(f"chaoslab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """chaoslab: real incidents on a small, real system. Start with `chaoslab list`."""


def echo(message: str) -> None:
    err.print(f"[dim]·[/] {message}")


@app.command("list")
def list_(as_json: Json = False) -> None:
    """The scenario catalog."""
    from lab.scenario_index import catalog

    scenarios = catalog()  # validated scenarios, cached between calls (lab/scenario_index.py)
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
    from lab import lifecycle
    from lab.runs import current_run
    from lab.runs.run import state_home

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
    from lab import lifecycle
    from lab.places import lab_places
    from lab.reports.summary import checks_table
    from lab.scenarios import load_scenario
    from lab.scenarios.observe import observe

    scenario = load_scenario(scenario_id)
    started = time.monotonic()
    live = lifecycle.start_lab(scenario, seed=seed, port_base=port_base, runtime=runtime, echo=echo)
    echo(f"lab up in {time.monotonic() - started:.1f}s (run {live.run.id})")
    if no_fault:
        lifecycle.start_load(live)
        plan = scenario.load
        echo(f"load on: {plan.users} simulated users (stops by itself after {plan.max_seconds}s)")
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
    console.print(
        Panel(
            f"{brief}\n\n[bold]User reports[/]\n{reports}\n\n[bold]Monitoring alerts[/]\n{alerts}\n\n"
            "Your tools: chaoslab status | alerts | query | psql | logs | flags | env | hint\n"
            "When you think it is fixed: chaoslab verify",
            title=f"INCIDENT: {scenario.title}",
            border_style="red",
            # In a pipe the console has no width (lab/output.py): the panel fits its text.
            expand=console.is_terminal,
        )
    )
    _print_places(lab_places(live.run, scenario.services))


def _print_places(places: list[Place]) -> None:
    """Where the lab's UIs and files are (the end of `start`; all of them: `chaoslab open`)."""
    main = [p for p in places if p.main]
    width = max(len(p.name) for p in main)
    console.print("\n[bold]Where things are[/] (`chaoslab open NAME` opens one; `chaoslab open` lists all):")
    for place in main:
        line = f"  {place.name:<{width}}  {place.location}  [dim]{escape(place.what)}[/]"
        console.print(line, highlight=False)


def _lab_prometheus() -> tuple[Run, PrometheusClient]:
    """The running lab's Prometheus, found without loading its scenario: `alerts`, `query` and
    `targets` need only the run's port plan, so they skip the schema and the lifecycle imports."""
    from lab.observability.prometheus import PrometheusClient
    from lab.runs import require_current_run
    from lab.runtimes import runtime_for

    run = require_current_run()
    if not any(s.state in ("healthy", "running", "starting") for s in runtime_for(run).status().values()):
        from lab import lifecycle

        lifecycle.open_lab()  # the lab is gone: this cleans it up and says so (exit 2)
    return run, PrometheusClient.of_run(run)


def _service_table(services: list[Any]) -> Table:
    table = new_table(
        "services",
        ("service", "role", "state", "pid", "restarts", "last exit"),
        whole=("service", "state"),
        right=("pid", "restarts"),
    )
    colors = {"healthy": "green", "running": "green", "starting": "yellow", "restarting": "yellow"}
    for status in services:
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
def status(as_json: Json = False) -> None:
    """Services with health, firing alerts and the scenario's key signals (exit 1: a service is down)."""
    from lab import lifecycle
    from lab.reports.summary import format_value
    from lab.scenarios.observe import measure

    live = lifecycle.open_lab()
    state = live.run.read_state()
    services = list(live.runtime.status().values())
    signals = []
    for name in live.scenario.summary_probes:
        probe = live.scenario.probes[name]
        value, error = measure(live.scenario, live, name)
        signals.append(
            {
                "probe": name,
                "description": probe.description or name,
                "unit": probe.unit,
                "value": value,
                "text": error or format_value(value, probe.unit),
                "error": error,
            }
        )
    firing = sorted(live.prometheus.firing())
    unhealthy = [s.name for s in services if s.state not in HEALTHY_STATES]
    if as_json:
        emit_json(
            {
                "run": live.run.info,
                "phase": state.get("phase", "up"),
                "healthy": not unhealthy,
                "services": services,
                "signals": signals,
                "firing": firing,
            }
        )
    else:
        console.print(
            f"run [bold]{live.run.id}[/] · scenario {live.scenario.id} · seed {live.run.info.seed} · "
            f"phase {state.get('phase', 'up')}"
        )
        console.print(_service_table(services))
        table = new_table("key signals", ("signal", "now"), right=("now",))
        for signal_ in signals:
            table.add_row(escape(str(signal_["description"])), escape(str(signal_["text"])))
        console.print(table)
        console.print("alerts firing: " + (", ".join(f"[red]{a}[/]" for a in firing) or "none"))
    if unhealthy:
        raise typer.Exit(1)


@app.command()
def alerts(as_json: Json = False) -> None:
    """Alerts of the lab's Prometheus, pending and firing, with the chapter's names."""
    _run, prometheus = _lab_prometheus()
    found = prometheus.alerts()
    if as_json:
        emit_json(
            {
                "alerts": [
                    {
                        "name": alert["labels"]["alertname"],
                        "chapter_name": alert.get("annotations", {}).get("chapter_name"),
                        "state": alert["state"],
                        "active_at": alert.get("activeAt"),
                        "value": alert.get("value"),
                        "summary": alert.get("annotations", {}).get("summary"),
                        "labels": alert["labels"],
                        "annotations": alert.get("annotations", {}),
                    }
                    for alert in found
                ]
            }
        )
        return
    table = new_table("alerts", ("alert", "chapter name", "state", "since", "summary"), whole=("alert",))
    for alert in found:
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
def query(promql: Annotated[str, typer.Argument(metavar="PROMQL")], as_json: Json = False) -> None:
    """Run a PromQL query against the lab's Prometheus."""
    _run, prometheus = _lab_prometheus()
    result = prometheus.query(promql)
    if as_json:
        emit_json(
            {
                "query": promql,
                "result": [
                    {"metric": s["metric"], "timestamp": s["value"][0], "value": s["value"][1]}
                    for s in result
                ],
            }
        )
        return
    if not result:
        console.print("(empty result)")
    for series in result:
        labels = ",".join(f'{k}="{v}"' for k, v in series["metric"].items())
        console.print(f"{{{labels}}} {series['value'][1]}", markup=False, highlight=False)


@app.command()
def dashboard(as_json: Json = False) -> None:
    """The team's saved dashboard: each panel's query run now, or "No data" as Grafana shows it."""
    from lab import lifecycle
    from lab.reports.summary import format_value

    live = lifecycle.open_lab()
    panels = live.scenario.dashboard
    if not panels:
        raise UsageError(
            f"Scenario {live.scenario.id} has no saved dashboard.",
            hint="`chaoslab status` shows its key signals; `chaoslab query PROMQL` runs any query.",
        )
    table = new_table(f"dashboard: {live.scenario.title}", ("panel", "value", "query"), whole=("panel",))
    shown = []
    empty = 0
    for panel in panels:
        result = live.prometheus.query(panel.query)
        numbers = [_number(series["value"][1]) for series in result]
        values = [format_value(number, panel.unit) for number in numbers]
        empty += not values
        shown.append({"title": panel.title, "query": panel.query, "unit": panel.unit, "values": numbers})
        table.add_row(panel.title, ", ".join(values) or "[yellow]No data[/]", escape(panel.query))
    if as_json:
        emit_json({"scenario": live.scenario.id, "panels": shown})
    else:
        console.print(table)
    if empty:
        raise typer.Exit(1)


def _number(raw: str) -> float | None:
    value = float(raw)
    return None if value != value else value  # NaN: a panel with a series but no rate yet


@app.command()
def targets(as_json: Json = False) -> None:
    """Prometheus' scrape targets: job, URL, health, last scrape and its error (the /targets page)."""
    run, prometheus = _lab_prometheus()
    found = sorted(prometheus.targets(), key=lambda t: t["labels"].get("job", ""))
    if as_json:
        emit_json(
            {
                "page": f"{prometheus.url}/targets",
                "config": run.config_dir / "prometheus.yml",
                "targets": [
                    {
                        "job": target["labels"].get("job", ""),
                        "url": target["scrapeUrl"],
                        "health": target["health"],
                        "last_scrape": target.get("lastScrape"),
                        "last_scrape_duration_s": target.get("lastScrapeDuration"),
                        "last_error": target.get("lastError", ""),
                        "labels": target["labels"],
                    }
                    for target in found
                ],
            }
        )
        return
    table = new_table(
        "scrape targets",
        ("job", "url", "health", "last scrape", "took", "last error"),
        whole=("job",),
        right=("took",),
    )
    colors = {"up": "green", "down": "red"}
    for target in found:
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
    console.print(f"[dim]the page: {prometheus.url}/targets · config: {run.config_dir / 'prometheus.yml'}[/]")


@app.command()
def hint(as_json: Json = False) -> None:
    """The next hint (each call reveals one more)."""
    from lab import lifecycle

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
    console.print(Panel(text, title=f"hint {number} of {total}", expand=console.is_terminal))
    console.print(f"[dim]every hint shown so far: {live.run.dir / 'hints.md'}[/]")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(
    ctx: typer.Context,
    command: Annotated[str | None, typer.Option("-c", help="Run one SQL command.")] = None,
) -> None:
    """A psql session on the lab database (straight to PostgreSQL, not through Toxiproxy)."""
    from lab import lifecycle
    from lab.setup import find_binary

    live = lifecycle.open_lab()
    argv = [find_binary("psql"), live.login_dsn, *(["-c", command] if command else []), *ctx.args]
    sys.stdout.flush()
    # The password goes through the environment: a command line is visible to every user in `ps`.
    os.execve(argv[0], argv, {**os.environ, **live.client_env()})


@app.command("redis-cli", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def redis_cli(ctx: typer.Context) -> None:
    """The real redis-cli against the lab's Redis (e.g. `chaoslab redis-cli MONITOR`)."""
    from lab import lifecycle
    from lab.setup import find_binary

    live = lifecycle.open_lab()
    argv = [find_binary("redis-cli"), "-h", "127.0.0.1", "-p", str(live.ports["redis"]), *ctx.args]
    os.execve(argv[0], argv, {**os.environ, **live.client_env()})


@app.command()
def env(as_json: Json = False) -> None:
    """The lab's endpoints as shell exports: eval "$(chaoslab env)"."""
    from lab import lifecycle

    live = lifecycle.open_lab()
    if as_json:
        emit_json({"env": live.endpoints()})
        return
    for key, value in live.endpoints().items():
        print(f"export {key}='{value}'")


@app.command("open")
def open_(
    what: Annotated[
        str | None,
        typer.Argument(
            metavar="[WHAT]",
            help="prometheus, alerts, targets, a service (shop, frontend, …), report, postmortem, traces, "
            "logs, hints, run. Without it: the list.",
        ),
    ] = None,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser/--no-browser",
            help="Also open it in a browser, where there is a display (never in CI or a pipe).",
        ),
    ] = True,
    as_json: Json = False,
) -> None:
    """Where the lab's UIs and files are: the URL or path of each; `chaoslab open prometheus` opens one."""
    from lab.places import lab_places, open_in_browser, place_json
    from lab.runs import current_run
    from lab.scenarios import load_scenario

    run = current_run()
    running = run is not None
    if run is None:
        run = _last_run()
        echo(f"no lab is running: the files of the last run, {run.id}")
    try:
        services = load_scenario(run.info.scenario).services
    except LabError:
        services = []  # a scenario since renamed or removed: its run's files are still there
    places = lab_places(run, services, running=running)
    if what is None:
        if as_json:
            emit_json({"run": run.id, "running": running, "places": [place_json(p) for p in places]})
            return
        table = new_table(f"run {run.id}", ("name", "url or path", "what"), whole=("name",))
        for place in places:
            where = place.location if place.exists else f"{place.location} [dim](not written yet)[/]"
            table.add_row(place.name, where, escape(place.what))
        console.print(table)
        return
    chosen = next((p for p in places if p.name == what), None)
    if chosen is None:
        raise UsageError(
            f"Nothing called {what!r} in run {run.id}" + ("" if running else " (no lab is running)") + ".",
            hint=f"one of: {', '.join(p.name for p in places)}.",
        )
    if not chosen.exists:
        raise UsageError(
            f"{chosen.location} does not exist yet.",
            hint="`chaoslab report` writes the post-mortem draft (so does `chaoslab stop`)."
            if chosen.name in ("report", "postmortem")
            else "it appears once the lab has written it.",
        )
    if as_json:
        emit_json({"run": run.id, "running": running, "place": place_json(chosen)})
    else:
        print(chosen.url if not chosen.is_file else chosen.location)
    if browser and sys.stdout.isatty() and open_in_browser(chosen.url):
        echo(f"opened {chosen.url} in a browser")


@app.command()
def flags(
    name: Annotated[str | None, typer.Argument(help="A flag to change.")] = None,
    value: Annotated[str | None, typer.Argument(help="on or off")] = None,
    as_json: Json = False,
) -> None:
    """Show feature flags, or set one: `chaoslab flags browse-by-category off`."""
    from lab import lifecycle
    from lab.runs import Timeline

    live = lifecycle.open_lab()
    if name is not None:
        if value not in ("on", "off"):
            raise UsageError("Say `on` or `off` after the flag name.", hint=f"chaoslab flags {name} off")
        previous = live.flags.set(name, value == "on")
        Timeline(live.run.timeline_path).record(
            "flag_changed", flag=name, enabled=value == "on", by="learner"
        )
        if as_json:
            emit_json({"flag": name, "previous": bool(previous), "enabled": value == "on"})
            return
        console.print(f"{name}: {'on' if previous else 'off'} → {value}")
        return
    if as_json:
        emit_json({"flags": live.flags.read()})
        return
    for flag, enabled in live.flags.read().items():
        console.print(f"{flag}: {'[green]on[/]' if enabled else 'off'}")


@app.command()
def logs(
    service: str,
    lines: Annotated[int, typer.Option("-n", min=0, max=10_000_000, help="How many lines.")] = 40,
    follow: Annotated[bool, typer.Option("-f", help="Keep printing new lines.")] = False,
) -> None:
    """The log of one service (the supervisor's too: `chaoslab logs supervisor`)."""
    from lab.runs import current_run

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
    from lab.runs import Run
    from lab.runs.run import state_home

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
    last: Annotated[int, typer.Option("--last", min=1, max=10_000, help="How many recent traces.")] = 10,
    as_json: Json = False,
) -> None:
    """Traces as trees: service, span, duration and key attributes (cache hit, SQL, Redis key)."""
    from lab.observability.traces import find_traces, render
    from lab.runs import current_run

    run = current_run() or _last_run()
    found = find_traces(run.traces_dir, service=service, trace_id=trace_id, last=last)
    if not found:
        raise UsageError(
            f"No trace {trace_id or 'yet'} in run {run.id}"
            + (f" through {service!r}" if service and not trace_id else "")
            + ".",
            hint="spans are written every few seconds: send a request, wait a moment, try again.",
        )
    if as_json:
        emit_json({"run": run.id, "traces": [_trace_json(t) for t in found]})
        return
    for trace in found:
        console.print(render(trace))


def _trace_json(trace: Any) -> dict[str, Any]:
    def span(s: Any) -> dict[str, Any]:
        return {
            "span_id": s.span_id,
            "parent_id": s.parent_id,
            "name": s.name,
            "service": s.service,
            "start": s.start,
            "end": s.end,
            "duration_ms": round(s.duration_ms, 3),
            "error": s.error,
            "attributes": s.attributes,
            "children": [span(c) for c in s.children],
        }

    return {
        "trace_id": trace.trace_id,
        "summary": trace.summary(),
        "complete": trace.complete,
        "services": trace.services,
        "start": trace.start,
        "spans": [span(root) for root in trace.roots],
    }


SHOWN_MISMATCHES = 20


@app.command()
def check(
    what: Annotated[str, typer.Argument(metavar="WHAT", help="consistency: cached profiles vs the database")],
) -> None:
    """Data checks: `chaoslab check consistency` compares every cached profile with its database row."""
    if what != "consistency":
        raise UsageError(f"Unknown check {what!r}.", hint="chaoslab check consistency")
    from lab import lifecycle
    from lab.probes.cache_consistency import find_mismatches

    live = lifecycle.open_lab()
    if not {"redis", "postgres"} <= set(live.scenario.services):
        raise UsageError(f"Scenario {live.scenario.id} has no cache in front of its database to check.")
    checked, mismatches = find_mismatches(live.redis_url, live.admin_dsn)
    table = new_table(
        "cached profiles that differ from the database",
        ("key", "differs in", "cache", "database", "expires in"),
        whole=("key",),
    )
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
def verify(wait: Wait = 0, as_json: Json = False) -> None:
    """Check the recovery probes: exit 0 when the lab is healthy again, 1 when not."""
    from lab import lifecycle

    _verify(lifecycle.open_lab(), wait, as_json=as_json)


def _verify(live: LiveLab, wait: int, *, as_json: bool = False) -> None:
    from lab import lifecycle
    from lab.reports.summary import checks_table
    from lab.runs import Timeline
    from lab.scenarios.observe import observe

    expectation = live.scenario.recovery.model_copy(update={"within_s": max(wait, 1)})
    phase = observe(
        live.scenario,
        live,
        expectation,
        name="verify",
        latch=False,
        wait=wait > 0,
        baseline=lifecycle.baseline_of(live),
    )
    units = {name: probe.unit for name, probe in live.scenario.probes.items()}
    if as_json:
        emit_json(_verdict_json(live, phase))
    else:
        console.print(checks_table("recovery checks", phase.checks, units))
    Timeline(live.run.timeline_path).record("verified", ok=phase.ok, by="learner")
    if not phase.ok:
        failing = [c.label for c in phase.checks if not c.held]
        raise NotHealthy(
            f"Not recovered yet: {', '.join(failing)} do not hold.",
            hint="signals are averaged over ~20 s: give a fix that long, or `chaoslab verify --wait 60`.",
        )
    live.run.write_state(phase="verified")
    if not as_json:
        console.print("[green]verified: the lab is healthy again.[/]")


def _verdict_json(live: LiveLab, phase: PhaseResult) -> dict[str, Any]:
    """`verify --json`: the verdict document the pytest plugin and JUnit share."""
    from lab.reports.verdict import verdict_document

    return verdict_document(phase, run=live.run.id, scenario=live.scenario.id)


@app.command()
def fix() -> None:
    """Apply the scenario's reference fix (for trainers and CI)."""
    from lab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.apply_fix(live)
    console.print(f"applied: {live.scenario.fix_for(live.run.info.variant).description}")


@app.command()
def mitigate(mitigation_id: Annotated[str, typer.Argument(metavar="MITIGATION")]) -> None:
    """Apply one of the scenario's mitigations (e.g. flag-off, bigger-pool)."""
    from lab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.apply_mitigation(live, mitigation_id)
    console.print(f"applied mitigation {mitigation_id}")


@app.command()
def deploy(service: str) -> None:
    """Redeploy a service from its working copy (after you edited the code shown by `chaoslab code`)."""
    from lab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.deploy(live, service)
    console.print(f"{service} redeployed from {live.run.source_dir / 'services' / service}")


@app.command()
def rollback(service: str) -> None:
    """Roll a service back to the release shipped with the lab, and restart it."""
    from lab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.rollback(live, service)
    console.print(f"{service} rolled back to the shipped release")


@app.command()
def code(
    service: str,
    show_diff: Annotated[bool, typer.Option("--diff", help="Show what the deployed code changed.")] = False,
) -> None:
    """Where a service's deployed code is (edit it there, then `chaoslab deploy`), or its diff."""
    from lab import lifecycle, releases

    live = lifecycle.open_lab()
    if show_diff:
        console.print(
            releases.diff(live.run.source_dir, service) or "(the deployed code is the shipped release)",
            markup=False,
            highlight=False,
        )
        return
    print(releases.service_dir(live.run.source_dir, service))


@app.command()
def stop() -> None:
    """Take the lab down: no process, port or data file of it left behind."""
    from lab import lifecycle
    from lab.runs import current_run

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
    wait: Wait = 0,
    as_json: Json = False,
) -> None:
    """Declare the cause fixed, then check recovery like `verify`: resolution counts once they hold."""
    from lab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.declare(live, "resolved", note)
    _verify(live, wait, as_json=as_json)


def _declare(what: str, note: str | None) -> None:
    from lab import lifecycle
    from lab.reports.timings import compute_timings, format_duration
    from lab.runs import Timeline

    live = lifecycle.open_lab()
    entry = lifecycle.declare(live, what, note)
    since = compute_timings(Timeline(live.run.timeline_path).events()).since_injection(entry["ts"])
    after = f", {format_duration(since)} after the fault" if since is not None else ""
    console.print(f"{what} recorded{after}: {lifecycle.DECLARATIONS[what]}.")


def _pick_run(ref: str | None) -> Run:
    from lab.runs import Run, current_run

    if ref is None:
        return current_run() or _last_run()
    if Path(ref).is_dir():
        return Run.at(Path(ref).resolve())
    return Run.load(ref)


def _write_postmortem(run: Run) -> None:
    from lab.reports.postmortem import write_postmortem

    try:
        files = write_postmortem(run)
    except LabError as exc:
        err.print(f"[yellow]no post-mortem draft:[/] {exc.render()}")
        return
    echo(f"post-mortem draft: {files.markdown} (and {files.html.name}, graphs/)")
    if notice := files.notice():
        err.print(notice, markup=False)


@app.command()
def report(
    run_ref: Annotated[
        str | None,
        typer.Argument(metavar="[RUN]", help="A run id or run folder (default: the current or last run)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write to (default: RUN/report).")
    ] = None,
    as_json: Json = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Move an edited postmortem.md to postmortem.md.<time>.bak, then refresh it."
        ),
    ] = False,
) -> None:
    """Write a run's blameless post-mortem draft: Markdown, a self-contained HTML page, PNG graphs."""
    from lab import lifecycle
    from lab.reports.postmortem import write_postmortem
    from lab.runs import current_run

    run_ = _pick_run(run_ref)
    active = current_run()
    if active is not None and active.id == run_.id and (problem := lifecycle.save_metrics(run_)):
        err.print(f"[yellow]graphs may be missing:[/] {problem}")
    files = write_postmortem(run_, out, force=force)
    if notice := files.notice():
        err.print(notice, markup=False, highlight=False)
    if as_json:
        emit_json(
            {
                "run": run_.id,
                "markdown": files.markdown,
                "team_copy": files.team_copy,
                "team_copy_kept": files.team_copy_kept,
                "html": files.html,
                "graphs": files.graphs,
            }
        )
        return
    console.print(f"post-mortem draft: {files.markdown}")
    console.print(f"your copy: {files.team_copy}" + (" (kept: edited)" if files.team_copy_kept else ""))
    console.print(f"self-contained page: {files.html}")
    console.print(f"graphs: {', '.join(p.name for p in files.graphs) or 'none (no metrics exported)'}")


@app.command()
def runs(as_json: Json = False) -> None:
    """Past runs of this state home: scenario, seed, variant, verdict, time to detect and to resolve."""
    from lab.reports.timings import format_duration
    from lab.runs.history import past_runs
    from lab.runs.run import state_home

    found = past_runs()
    if as_json:
        emit_json({"home": state_home(), "runs": found})
        return
    if not found:
        console.print(f"no run yet under {state_home() / 'runs'}")
        return
    table = new_table(
        f"runs under {state_home() / 'runs'}",
        ("run", "scenario", "seed", "variant", "verdict", "TTD", "TTM", "TTR"),
        whole=("run",),
        right=("seed", "TTD", "TTM", "TTR"),
    )
    colors = {"verified": "green", "running": "yellow", "failed": "red", "not verified": "red"}
    for summary in found:
        color = colors.get(summary.verdict)
        verdict = summary.verdict + (f" ({summary.failed_phase})" if summary.failed_phase else "")
        table.add_row(
            summary.id,
            summary.scenario,
            str(summary.seed),
            summary.variant,
            f"[{color}]{verdict}[/]" if color else verdict,
            format_duration(summary.ttd_s),
            format_duration(summary.ttm_s),
            format_duration(summary.ttr_s),
        )
    console.print(table)


@app.command()
def gameday(
    target: Annotated[str, typer.Argument(metavar="PLAN.yaml|board", help="A plan to run, or `board`.")],
    directory: Annotated[
        Path | None, typer.Argument(metavar="[DIR]", help="board: the game-day folder (default: the latest).")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, max=SEED_MAX, help="Spin the wheel with this seed instead of the plan's."
        ),
    ] = None,
    port_base: GameDayPortBase = None,
    folder_dir: Annotated[
        Path | None, typer.Option("--dir", help="The game-day folder (default: under the state home).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate the plan and show the draws; start nothing.")
    ] = False,
    once: Annotated[bool, typer.Option("--once", help="board: print it once instead of live.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="board: print it once as JSON (shape: docs/cli-json.md).")
    ] = False,
) -> None:
    """Run a trainer's game day (`gameday plan.yaml`), or watch its scoreboard (`gameday board [DIR]`)."""
    if target == "board":
        from rich.live import Live

        from lab.gameday.state import GameDayFolder, latest_gameday
        from lab.reports.board import board_json, live_board

        folder = GameDayFolder(directory.resolve()) if directory else latest_gameday()
        if as_json:
            emit_json(board_json(folder.load()))
            return
        if once:
            console.print(live_board(folder.load()))
            return
        with Live(live_board(folder.load()), console=console, refresh_per_second=1) as view:
            while not (state := folder.load()).finished:
                time.sleep(1)
                view.update(live_board(state))
            view.update(live_board(state))
        return
    from lab.gameday.plan import load_plan, schedule

    if dry_run:
        plan = load_plan(Path(target))
        table = new_table(
            f"game day {plan.name}: the draws",
            ("round", "incidents (scenario, seed)", "time limit", "hints released at"),
        )
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
    from lab.gameday.runner import prepare_gameday, run_gameday, team_command
    from lab.reports.board import live_board

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
    from lab import lifecycle
    from lab.reports.junit import ScenarioCase, write_junit
    from lab.reports.summary import outcome_view
    from lab.runs import Run
    from lab.scenarios import list_scenarios, load_scenario

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
            console.print(outcome_view(scenario, outcome.phases, outcome.calibration))
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


@app.command()
def repeat(
    scenario_id: Annotated[str, typer.Argument(metavar="SCENARIO")],
    runs: Annotated[
        int | None, typer.Option("--runs", help="How many runs, seeds 1..N (default 10).")
    ] = None,
    seeds: Annotated[
        str | None, typer.Option("--seeds", metavar="A-B", help="Run these seeds instead of 1..N.")
    ] = None,
    variant: Annotated[
        str | None, typer.Option("--variant", help="Only seeds that draw this variant (walked from 1 up).")
    ] = None,
    busy_cores: Annotated[
        int, typer.Option("--busy-cores", help="Keep K cores busy with stress-ng for the whole repeat.")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON document instead of tables.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (default <state home>/repeats/).")
    ] = None,
    runtime: RuntimeOpt = "local",
    port_base: PortBase = None,
) -> None:
    """Run a scenario end to end N times: pass rate per variant, spread of every signal, failures."""
    import json

    from lab import repeat as repeating
    from lab.load.busy import check_busy_cores
    from lab.runtimes import RUNTIMES
    from lab.scenarios import load_scenario

    scenario = load_scenario(scenario_id)
    chosen = repeating.select_seeds(scenario, runs=runs, seeds=seeds, variant=variant)
    check_busy_cores(busy_cores)
    if runtime not in RUNTIMES:
        raise UsageError(f"Unknown runtime {runtime!r}.", hint=f"use one of: {', '.join(RUNTIMES)}.")
    path = out or repeating.default_report_path(scenario.id)

    def after_run(report: repeating.RepeatReport, record: repeating.RunRecord) -> None:
        report.write(path)  # after every run: an interrupted repeat keeps what it measured
        verdict = "[green]passed[/]" if record.ok else "[red]FAILED[/]"
        echo(
            f"run {len(report.runs)}/{len(chosen)}: seed {record.seed} ({record.variant}) {verdict} "
            f"in {record.seconds:.0f}s" + (f" · run {record.run_id}" if record.run_id else "")
        )

    report = repeating.repeat_scenario(
        scenario,
        chosen,
        runtime=runtime,
        port_base=port_base,
        busy_cores=busy_cores,
        echo=echo,
        on_run=after_run,
    )
    report.write(path)
    echo(f"JSON: {path}")
    tables = repeating.report_tables(scenario, report)
    if as_json:
        sys.stdout.write(json.dumps(report.document(), indent=2) + "\n")
    elif not sys.stdout.isatty():
        # Piped, rich would cut cells to 80 columns: tab-separated rows survive `column -t`, awk, grep.
        sys.stdout.write("\n".join(t.tab_separated() for t in tables) + "\n")
        print(repeating.verdict_line(report))
    else:
        for text in tables:
            view = Table(title=text.title, title_justify="left")
            for index, column in enumerate(text.columns):
                # Fold, never cut: a narrow terminal wraps a cell instead of hiding its end.
                view.add_column(column, overflow="fold", justify="left" if index < 2 else "right")
            for row in text.rows:
                view.add_row(*(escape(cell) for cell in row))
            console.print(view)
        console.print(repeating.verdict_line(report), highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def _usage_line(exc: typer.TyperException) -> str:
    """A parser's complaint as one line, with where to read the command's options."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    where = f" See `{ctx.command_path} --help`." if ctx is not None else ""
    return message.rstrip(".") + "." + where


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
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `chaoslab`: the help is the answer
            exc.show()  # type: ignore[attr-defined]
        else:
            err.print(f"[red]error:[/] {escape(_usage_line(exc))}", highlight=False)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
