"""Commands a learner investigates with: alerts, PromQL, dashboards, targets, psql, redis-cli, env,
logs, traces, the places of the lab's UIs, data checks."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chaoslab.cli.root import (
    Json,
    app,
    console,
    echo,
    last_run,
)
from chaoslab.errors import LabError, NotHealthy, UsageError
from chaoslab.output import emit_json, escape, new_table

if TYPE_CHECKING:
    from chaoslab.observability.prometheus import PrometheusClient
    from chaoslab.runs import Run

PANEL = "Investigate"
# psql and redis-cli hand every argument after theirs to the real program.
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def lab_prometheus() -> tuple[Run, PrometheusClient]:
    """The running lab's Prometheus, found without loading its scenario: `alerts`, `query` and
    `targets` need only the run's port plan, so they skip the schema and the lifecycle imports."""
    from chaoslab.runs import require_current_run
    from chaoslab.runtimes import runtime_for
    from chaoslab.service_status import UP_STATES
    from chaoslab.specs.catalog.prometheus import client_of

    run = require_current_run()
    if not any(s.state in UP_STATES for s in runtime_for(run).status().values()):
        from chaoslab import lifecycle

        lifecycle.open_lab()  # the lab is gone: this cleans it up and says so (exit 2)
    return run, client_of(run)


@app.command(rich_help_panel=PANEL)
def alerts(as_json: Json = False) -> None:
    """Alerts of the lab's Prometheus, pending and firing, with the chapter's names."""
    from chaoslab.lab_api.client import ask

    answer = ask("GET", "/alerts")
    if answer is None:  # no lab API answered: ask Prometheus from here
        from chaoslab.lab_api.answers import alerts_answer

        answer = alerts_answer(lab_prometheus()[1])
    if as_json:
        emit_json(answer)
        return
    table = new_table("alerts", ("alert", "chapter name", "state", "since", "summary"), whole=("alert",))
    for alert in answer["alerts"]:
        table.add_row(
            alert["name"],
            alert["chapter_name"] or "",
            alert["state"],
            (alert["active_at"] or "")[11:19],
            alert["summary"] or "",
        )
    console.print(table if table.row_count else "no alert is pending or firing")


@app.command(rich_help_panel=PANEL)
def query(promql: Annotated[str, typer.Argument(metavar="PROMQL")], as_json: Json = False) -> None:
    """Run a PromQL query against the lab's Prometheus."""
    from urllib.parse import urlencode

    from chaoslab.lab_api.client import ask

    answer = ask("GET", "/query?" + urlencode({"promql": promql}))
    if answer is None:  # no lab API answered, or it refused the query: ask from here, and say why
        from chaoslab.lab_api.answers import query_answer

        answer = query_answer(lab_prometheus()[1], promql)
    if as_json:
        emit_json(answer)
        return
    if not answer["result"]:
        console.print("(empty result)")
    for series in answer["result"]:
        labels = ",".join(f'{k}="{v}"' for k, v in series["metric"].items())
        console.print(f"{{{labels}}} {series['value']}", markup=False, highlight=False)


@app.command(rich_help_panel=PANEL)
def dashboard(as_json: Json = False) -> None:
    """The team's saved dashboard: each panel's query run now, or "No data" as Grafana shows it."""
    from chaoslab import lifecycle
    from chaoslab.reports.summary import format_value

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


@app.command(rich_help_panel=PANEL)
def targets(as_json: Json = False) -> None:
    """Prometheus' scrape targets: job, URL, health, last scrape and its error (the /targets page)."""
    run, prometheus = lab_prometheus()
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


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True}, rich_help_panel=PANEL
)
def psql(
    ctx: typer.Context,
    command: Annotated[str | None, typer.Option("-c", help="Run one SQL command.")] = None,
) -> None:
    """A psql session on the lab database (straight to PostgreSQL, not through Toxiproxy)."""
    from chaoslab import lifecycle
    from chaoslab.setup import find_binary

    live = lifecycle.open_lab()
    argv = [find_binary("psql"), live.login_dsn, *(["-c", command] if command else []), *ctx.args]
    sys.stdout.flush()
    # The password goes through the environment: a command line is visible to every user in `ps`.
    os.execve(argv[0], argv, {**os.environ, **live.client_env()})


@app.command("redis-cli", context_settings=PASS_THROUGH, rich_help_panel=PANEL)
def redis_cli(ctx: typer.Context) -> None:
    """The real redis-cli against the lab's Redis (e.g. `chaoslab redis-cli MONITOR`)."""
    from chaoslab import lifecycle
    from chaoslab.setup import find_binary

    live = lifecycle.open_lab()
    argv = [find_binary("redis-cli"), "-h", "127.0.0.1", "-p", str(live.ports["redis"]), *ctx.args]
    os.execve(argv[0], argv, {**os.environ, **live.client_env()})


@app.command(rich_help_panel=PANEL)
def env(as_json: Json = False) -> None:
    """The lab's endpoints as shell exports: eval "$(chaoslab env)"."""
    from chaoslab import lifecycle

    live = lifecycle.open_lab()
    if as_json:
        emit_json({"env": live.endpoints()})
        return
    for key, value in live.endpoints().items():
        print(f"export {key}='{value}'")


@app.command("open", rich_help_panel=PANEL)
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
    from chaoslab.places import lab_places, open_in_browser, place_json
    from chaoslab.runs import current_run
    from chaoslab.scenarios import load_scenario

    run = current_run()
    running = run is not None
    if run is None:
        run = last_run()
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
    if browser and chosen.browsable and sys.stdout.isatty() and open_in_browser(chosen.url):
        echo(f"opened {chosen.url} in a browser")


@app.command(rich_help_panel=PANEL)
def logs(
    service: str,
    lines: Annotated[int, typer.Option("-n", min=0, max=10_000_000, help="How many lines.")] = 40,
    follow: Annotated[bool, typer.Option("-f", help="Keep printing new lines.")] = False,
) -> None:
    """The log of one service (the supervisor's too: `chaoslab logs supervisor`)."""
    from chaoslab.runs import current_run

    run = current_run() or last_run()
    path = run.log_path(service)
    if not path.exists():
        known = sorted(p.stem for p in run.logs_dir.glob("*.log"))
        raise UsageError(
            f"No log for {service!r} in run {run.id}.", hint=f"logs exist for: {', '.join(known)}."
        )
    if path.with_name(path.name + ".1").exists():
        # Rotated (lab/chaoslab/runtimes/core/log_rotation.py): the newest lines may start in the older half.
        from chaoslab.runtimes.core.log_rotation import rotated_tail

        sys.stdout.write(rotated_tail(path, lines))
        sys.stdout.flush()
        if not follow:
            return
        lines = 0
    argv = ["tail", "-n", str(lines), *(["-F"] if follow else []), str(path)]
    os.execvp(argv[0], argv)


@app.command(rich_help_panel=PANEL)
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
    from chaoslab.observability.traces import find_traces, render
    from chaoslab.runs import current_run

    run = current_run() or last_run()
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


@app.command(rich_help_panel=PANEL)
def check(
    what: Annotated[str, typer.Argument(metavar="WHAT", help="consistency: cached profiles vs the database")],
) -> None:
    """Data checks: `chaoslab check consistency` compares every cached profile with its database row."""
    if what != "consistency":
        raise UsageError(f"Unknown check {what!r}.", hint="chaoslab check consistency")
    from chaoslab import lifecycle
    from chaoslab.probes.cache_consistency import find_mismatches

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
