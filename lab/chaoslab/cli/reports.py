"""Commands about finished work: a run's post-mortem draft, the list of past runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chaoslab.cli.root import (
    Json,
    app,
    console,
    err,
    pick_run,
)
from chaoslab.output import emit_json, new_table

if TYPE_CHECKING:
    pass

PANEL = "Reports"


@app.command(rich_help_panel=PANEL)
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
    from chaoslab import lifecycle
    from chaoslab.reports.postmortem import write_postmortem
    from chaoslab.runs import current_run

    run_ = pick_run(run_ref)
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


@app.command(rich_help_panel=PANEL)
def runs(as_json: Json = False) -> None:
    """Past runs of this state home: scenario, seed, variant, verdict, time to detect and to resolve."""
    from chaoslab.homes import state_home
    from chaoslab.reports.history import past_runs
    from chaoslab.reports.timings import format_duration

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
