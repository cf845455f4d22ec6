"""`chaoslab disk` and `chaoslab prune`: what the lab keeps on disk, and removing what is old."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from chaoslab.cli.machine import PANEL
from chaoslab.cli.root import Json, app, console, err
from chaoslab.output import emit_json, new_table

if TYPE_CHECKING:
    from chaoslab.disk.prune import PrunePlan

# lab/chaoslab/disk/prune.py's defaults, spelled here so that `--help` imports no lab.disk module.
OLDER_THAN_DEFAULT = "7d"
KEEP_DEFAULT = "5"


@app.command(rich_help_panel=PANEL)
def disk(as_json: Json = False) -> None:
    """What the lab keeps on disk per kind, its budget ($CHAOSLAB_DISK_BUDGET) and what `prune` would free."""
    from chaoslab.disk.budget import budget_bytes
    from chaoslab.disk.prune import DEFAULT_KEEP, DEFAULT_OLDER_THAN, parse_older_than, plan_prune
    from chaoslab.disk.sizes import human
    from chaoslab.disk.usage import DESCRIPTIONS, measure
    from chaoslab.homes import cache_home, state_home
    from chaoslab.runtimes.core.log_rotation import log_cap_bytes
    from chaoslab.shipped import service_module

    traces_cap_bytes = service_module("services.common.rotating_file").traces_cap_bytes
    budget = budget_bytes()
    usage = measure(state_home(), cache_home(), ask_engine=True)
    plan = plan_prune(
        state_home(), cache_home(), older_than_s=parse_older_than(DEFAULT_OLDER_THAN), keep=DEFAULT_KEEP
    )
    caps = {"traces_per_service_bytes": traces_cap_bytes(), "log_per_service_bytes": log_cap_bytes()}
    if as_json:
        emit_json(
            {
                "home": str(usage.home),
                "cache": str(usage.cache),
                "budget_bytes": budget,
                "used_bytes": usage.total,
                "over_budget": usage.total > budget,
                "kinds": [vars(k) for k in usage.kinds],
                "caps": caps,
                "prune": _plan_json(plan, DEFAULT_OLDER_THAN, DEFAULT_KEEP, dry_run=True),
            }
        )
        return
    table = new_table(
        f"disk use: {usage.home} (runs), {usage.cache} (cache)",
        ("kind", "size", "items", "what"),
        whole=("kind",),
        right=("size", "items"),
    )
    for kind in usage.kinds:
        what = DESCRIPTIONS[kind.kind] + (f" ({kind.note})" if kind.note else "")
        table.add_row(kind.kind, human(kind.bytes), str(kind.items), what)
    console.print(table)
    over = usage.total > budget
    console.print(
        f"total {human(usage.total)} of a {human(budget)} budget"
        + (" [red](over: the oldest templates and images go at the next start)[/]" if over else "")
    )
    console.print(
        f"caps per service: traces {human(caps['traces_per_service_bytes'])}, "
        f"logs {human(caps['log_per_service_bytes'])}"
    )
    console.print(
        f"`chaoslab prune` would free {human(plan.bytes)} ({len(plan.items)} items: runs older than "
        f"{DEFAULT_OLDER_THAN} beyond the newest {DEFAULT_KEEP}, templates and images unused as long)"
    )


@app.command(rich_help_panel=PANEL)
def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            help="Remove runs created, and templates and images last used, longer ago than this "
            "(30m, 12h, 7d, 2w).",
        ),
    ] = OLDER_THAN_DEFAULT,
    keep: Annotated[
        str, typer.Option("--keep", metavar="N", help="Keep the N newest runs whatever their age.")
    ] = KEEP_DEFAULT,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; remove nothing.")] = False,
    as_json: Json = False,
) -> None:
    """Remove old runs, unused database templates and our old or dangling images; never a lab that is up."""
    from chaoslab.disk.prune import apply_prune, parse_keep, parse_older_than, plan_prune
    from chaoslab.disk.sizes import human
    from chaoslab.homes import cache_home, state_home

    older_than_s, keep_n = parse_older_than(older_than), parse_keep(keep)
    plan = plan_prune(state_home(), cache_home(), older_than_s=older_than_s, keep=keep_n)
    removed = plan.items if dry_run else apply_prune(plan, cache_home())
    if as_json:
        document = _plan_json(plan, older_than, keep_n, dry_run=dry_run)
        document["freed_bytes"] = 0 if dry_run else sum(item.bytes for item in removed)
        document["removed"] = [] if dry_run else [_item_json(item) for item in removed]
        emit_json(document)
        return
    verb = "would remove" if dry_run else "removed"
    for item in removed:
        console.print(f"{verb} {item.kind} {item.name} ({human(item.bytes)}): {item.reason}")
    for line in plan.kept:
        err.print(f"[dim]kept {line}[/]")
    failed = [item for item in plan.items if item not in removed]
    for item in failed:
        err.print(f"could not remove {item.kind} {item.name} (in use, or a newer image is built on it)")
    total = sum(item.bytes for item in removed)
    console.print(
        f"{verb} {len(removed)} item{'s' if len(removed) > 1 else ''}, {human(total)}"
        if removed
        else "nothing to remove"
    )


def _item_json(item: Any) -> dict[str, Any]:
    return {"kind": item.kind, "name": item.name, "bytes": item.bytes, "reason": item.reason}


def _plan_json(plan: PrunePlan, older_than: str, keep: int, *, dry_run: bool) -> dict[str, Any]:
    return {
        "older_than": older_than,
        "keep": keep,
        "dry_run": dry_run,
        "bytes": plan.bytes,
        "items": [_item_json(item) for item in plan.items],
        "kept": plan.kept,
    }
