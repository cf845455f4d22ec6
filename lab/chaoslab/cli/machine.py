"""Commands about this machine: install what the lab runs, container images, compose, doctor."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chaoslab.cli.root import (
    app,
    console,
    echo,
    err,
)

if TYPE_CHECKING:
    from chaoslab.runs import Run

PANEL = "This machine"


@app.command(rich_help_panel=PANEL)
def setup(
    docker: Annotated[
        bool, typer.Option("--docker", help="Also install docker.io and start dockerd (docker runtime).")
    ] = False,
) -> None:
    """Install the programs the lab runs (Debian: apt; Toxiproxy: go install)."""
    from chaoslab.setup import install_missing

    done = install_missing(echo=echo)
    if docker:
        from chaoslab.runtimes.docker.dockerd import ensure_engine

        ensure_engine(echo=echo)
    console.print("everything is installed" if not done else f"installed: {', '.join(done)}")


images_app = typer.Typer(help="The container images of the docker runtime.", no_args_is_help=True)


app.add_typer(images_app, name="images", rich_help_panel=PANEL)


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
    from chaoslab.runtimes.docker.images import build_images

    images = build_images(offline=offline, echo=echo)
    for field, reference in images.model_dump().items():
        console.print(f"{field:<11} {reference}", highlight=False)


@app.command(rich_help_panel=PANEL)
def compose(
    scenario: Annotated[str, typer.Option("--scenario", help="Whose lab to render.")] = "db-pool-exhaustion",
    prepare: Annotated[
        Path | None,
        typer.Option("--prepare", help="Instead, fill this folder with the files the services read."),
    ] = None,
) -> None:
    """Print a docker compose file of a scenario's lab, from the same specs as the docker runtime."""
    from chaoslab.runtimes.docker.compose import compose_file, prepare_folder
    from chaoslab.scenarios import load_scenario

    loaded = load_scenario(scenario)
    if prepare is not None:
        folder = prepare_folder(prepare, loaded)
        console.print(f"export CHAOSLAB_RUN_DIR={folder}", highlight=False)
        return
    sys.stdout.write(compose_file(loaded))


@images_app.command("list")
def images_list() -> None:
    """The images the docker runtime would use, and which are missing."""
    from chaoslab.runtimes.docker.images import image_set, missing_images
    from chaoslab.runtimes.docker.runtime import IMAGE_SET_ENV

    images = image_set(offline=os.environ.get(IMAGE_SET_ENV, "offline") != "upstream")
    missing = set(missing_images(images))
    for field, reference in images.model_dump().items():
        mark = "[red]missing[/]" if reference in missing else "[green]built[/]"
        console.print(f"{field:<11} {reference}  {mark}", highlight=False)
    if missing:
        err.print("build them with `chaoslab images build --offline`")
        raise typer.Exit(1)


@app.command(rich_help_panel=PANEL)
def doctor() -> None:
    """Check this machine: binaries, state folder, a lab left running."""
    from chaoslab import lifecycle
    from chaoslab.homes import state_home
    from chaoslab.runs import current_run
    from chaoslab.runtimes.local.network import private_network_problem

    problems = lifecycle.environment_check()
    console.print(f"state home: {state_home()}")
    run = current_run()
    console.print(f"active lab: {run.id if run else 'none'}")
    shared = private_network_problem()
    if shared is None:
        console.print("private network: yes (each local lab in a network namespace of its own)")
    else:
        console.print(
            f"private network: no, {shared}. Other local users can reach a lab's Toxiproxy API. "
            "Hint: allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 or "
            "user.max_user_namespaces > 0), or run labs for one person per machine.",
            highlight=False,
        )
    _sweep_containers(run)
    if problems:
        for problem in problems:
            err.print(f"[red]✗[/] {problem}")
        raise typer.Exit(2)
    console.print("[green]✓[/] all binaries found")


def _sweep_containers(active: Run | None) -> None:
    """Containers of runs that are over (a crashed harness, a killed test) go, by their label."""
    from chaoslab.errors import EnvironmentProblem
    from chaoslab.runtimes.docker.runtime import sweep_leftovers

    try:
        removed = sweep_leftovers(active.id if active else None)
    except EnvironmentProblem:
        console.print("docker: no engine answers (only the docker runtime needs one)")
        return
    console.print(
        f"docker: removed {len(removed)} leftovers of finished runs" if removed else "docker: clean"
    )
