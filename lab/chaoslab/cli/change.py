"""Commands that change the lab: feature flags, the reference fix, mitigations, a service's code,
deploy and rollback."""

from __future__ import annotations

from typing import Annotated

import typer

from chaoslab.cli.root import Json, app, console, echo
from chaoslab.errors import UsageError
from chaoslab.output import emit_json

PANEL = "Change the lab"


@app.command(rich_help_panel=PANEL)
def flags(
    name: Annotated[str | None, typer.Argument(help="A flag to change.")] = None,
    value: Annotated[str | None, typer.Argument(help="on or off")] = None,
    as_json: Json = False,
) -> None:
    """Show feature flags, or set one: `chaoslab flags browse-by-category off`."""
    from chaoslab import lifecycle
    from chaoslab.runs import Timeline

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


@app.command(rich_help_panel=PANEL)
def fix() -> None:
    """Apply the scenario's reference fix (for trainers and CI)."""
    from chaoslab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.apply_fix(live, echo=echo)
    console.print(f"applied: {live.scenario.fix_for(live.run.info.variant).description}")


@app.command(rich_help_panel=PANEL)
def mitigate(mitigation_id: Annotated[str, typer.Argument(metavar="MITIGATION")]) -> None:
    """Apply one of the scenario's mitigations (e.g. flag-off, bigger-pool)."""
    from chaoslab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.apply_mitigation(live, mitigation_id, echo=echo)
    console.print(f"applied mitigation {mitigation_id}")


@app.command(rich_help_panel=PANEL)
def code(
    service: str,
    show_diff: Annotated[bool, typer.Option("--diff", help="Show what the deployed code changed.")] = False,
) -> None:
    """Where a service's deployed code is (edit it there, then `chaoslab deploy`), or its diff."""
    from chaoslab import lifecycle, releases

    live = lifecycle.open_lab()
    if show_diff:
        console.print(
            releases.diff(live.run.source_dir, service) or "(the deployed code is the shipped release)",
            markup=False,
            highlight=False,
        )
        return
    print(releases.service_dir(live.run.source_dir, service))


@app.command(rich_help_panel=PANEL)
def deploy(service: str) -> None:
    """Redeploy a service from its working copy (after you edited the code shown by `chaoslab code`)."""
    from chaoslab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.deploy(live, service)
    console.print(f"{service} redeployed from {live.run.source_dir / 'services' / service}")


@app.command(rich_help_panel=PANEL)
def rollback(service: str) -> None:
    """Roll a service back to the release shipped with the lab, and restart it."""
    from chaoslab import lifecycle

    live = lifecycle.open_lab()
    lifecycle.rollback(live, service, echo=echo)
    console.print(f"{service} rolled back to the shipped release")
