"""What a lab is asked to run, as both runtimes read it: the desired-state file, spec fingerprints,
and the order services start in.

The CLI writes ``desired.json`` in the run folder and signals the runtime's companion process
(the local supervisor, the docker watcher), which reconciles what runs with it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import RootModel

from chaoslab.atomic import read_json_model, write_atomically
from chaoslab.specs.model import ServiceSpec

DESIRED_FILE = "desired.json"


class DesiredServices(RootModel[list[ServiceSpec]]):
    """What desired.json holds: the specs the runtime is asked to run."""


def write_desired(run_dir: Path, specs: list[ServiceSpec]) -> None:
    """Ask the run's runtime for ``specs``; written whole, as the supervisor and watcher poll it."""
    # Private: the specs' environments hold the run's passwords (DSNs, Redis URLs).
    write_atomically(
        run_dir / DESIRED_FILE, json.dumps([s.model_dump() for s in specs], indent=2), private=True
    )


def read_desired(run_dir: Path) -> list[ServiceSpec]:
    """The specs a run's runtime was last asked to run (none before its first `up`)."""
    try:
        return read_json_model(
            run_dir / DESIRED_FILE,
            DesiredServices,
            "the lab's desired services",
            "the lab cannot be changed without it: `chaoslab stop` takes it down, then start it again.",
        ).root
    except FileNotFoundError:
        return []


def spec_hash(spec: ServiceSpec) -> str:
    """A fingerprint of a spec, so clients can tell which version of it is running."""
    return hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:16]


def start_order(specs: list[ServiceSpec]) -> list[str]:
    """Service names with every dependency before its dependents."""
    by_name = {s.name: s for s in specs}
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered or name not in by_name:
            return
        if name in path:
            raise ValueError(f"dependency cycle: {' -> '.join((*path, name))}")
        for dep in by_name[name].depends_on:
            visit(dep, (*path, name))
        ordered.append(name)

    for spec in specs:
        visit(spec.name, ())
    return ordered
