"""Commands for trainers and CI: game days, scenarios end to end, repeats."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from chaoslab.cli.root import (
    SEED_MAX,
    GameDayPortBase,
    PortBase,
    RuntimeOpt,
    Seed,
    app,
    console,
    echo,
    err,
    write_postmortem_draft,
)
from chaoslab.errors import UsageError
from chaoslab.output import emit_json, escape, new_table

PANEL = "Trainers and CI"


@app.command(rich_help_panel=PANEL)
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

        from chaoslab.gameday.board import board_json, live_board
        from chaoslab.gameday.state import GameDayFolder, latest_gameday

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
    from chaoslab.gameday.plan import load_plan, schedule

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
    from chaoslab.gameday.board import live_board
    from chaoslab.gameday.runner import prepare_gameday, run_gameday, team_command

    folder = prepare_gameday(Path(target), seed=seed, directory=folder_dir, port_base=port_base)
    console.print(f"game day folder: {folder.dir}")
    console.print(f"live board (another terminal): chaoslab gameday board {folder.dir}")
    homes = {i.label: i for r in folder.load().rounds for i in r.incidents}
    for label, incident in homes.items():
        console.print(f"  team {label}: {team_command(incident)}", highlight=False, soft_wrap=True)
    state = run_gameday(folder, echo=echo)
    console.print(live_board(state))
    console.print(f"board: {folder.dir / 'board.md'} · {folder.dir / 'board.html'}")


@app.command(rich_help_panel=PANEL)
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
    from chaoslab import lifecycle
    from chaoslab.end_to_end import run_scenario
    from chaoslab.reports.junit import ScenarioCase, write_junit
    from chaoslab.reports.summary import outcome_view
    from chaoslab.runs import Run
    from chaoslab.scenarios import list_scenarios, load_scenario

    if all_ == bool(scenario_ids):
        raise UsageError("Name the scenarios to run, or say --all (not both).", hint="chaoslab run --all")
    scenarios = list_scenarios() if all_ else [load_scenario(s) for s in scenario_ids or []]
    if mitigation is not None:
        for scenario in scenarios:
            lifecycle.find_mitigation(scenario, mitigation)
    if junit is not None:
        from chaoslab.atomic import check_output_file

        check_output_file(junit, "the JUnit file")
    failed = []
    cases: list[ScenarioCase] = []
    try:
        for scenario in scenarios:
            started = time.monotonic()
            outcome = run_scenario(
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
            write_postmortem_draft(Run.load(outcome.run_id))
            if not outcome.ok:
                failed.append(scenario.id)
    finally:
        if junit is not None:
            echo(f"JUnit XML: {write_junit(junit, cases)}")
    if failed:
        raise typer.Exit(1)


@app.command(rich_help_panel=PANEL)
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

    from chaoslab import repeat as repeating
    from chaoslab.load.busy import check_busy_cores
    from chaoslab.runtimes import RUNTIMES
    from chaoslab.scenarios import load_scenario

    scenario = load_scenario(scenario_id)
    chosen = repeating.select_seeds(scenario, runs=runs, seeds=seeds, variant=variant)
    check_busy_cores(busy_cores)
    if runtime not in RUNTIMES:
        raise UsageError(f"Unknown runtime {runtime!r}.", hint=f"use one of: {', '.join(RUNTIMES)}.")
    path = out or repeating.default_report_path(scenario.id)
    from chaoslab.atomic import check_output_file

    check_output_file(path, "the repeat's JSON")

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
        from rich.table import Table

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
