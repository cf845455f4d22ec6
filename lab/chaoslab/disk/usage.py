"""What the lab keeps on disk, per kind: runs, traces, logs, templates, images, toolchain cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chaoslab.disk import images as image_use
from chaoslab.disk.sizes import tree_bytes
from chaoslab.disk.templates import list_templates, templates_root

# In `chaoslab disk`'s order. Kinds are disjoint, so they add up to the total.
KINDS = ("runs", "traces", "logs", "templates", "images", "toolchain")
DESCRIPTIONS = {
    "runs": "run folders (state, reports, working copies, data of a lab that is up), without traces and logs",
    "traces": "exported spans of every run (<run>/traces)",
    "logs": "service logs of every run (<run>/logs)",
    "templates": "seeded database templates (<cache>/postgres)",
    "images": "container images of ours (docker runtime)",
    "toolchain": "the rest of the cache home: wheelhouse, Toxiproxy, build logs",
}


@dataclass
class KindUsage:
    """The bytes and items of one kind."""

    kind: str
    bytes: int
    items: int
    where: str
    note: str | None = None


@dataclass
class RunFolderUsage:
    """One run folder split into its kinds."""

    path: Path
    traces: int
    logs: int
    rest: int

    @property
    def total(self) -> int:
        return self.traces + self.logs + self.rest


@dataclass
class DiskUsage:
    """Usage per kind of one state home and the cache home."""

    home: Path
    cache: Path
    kinds: list[KindUsage] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(k.bytes for k in self.kinds)

    def of(self, kind: str) -> KindUsage:
        return next(k for k in self.kinds if k.kind == kind)


def run_folders(home: Path) -> list[Path]:
    """The run folders of a state home (anything under runs/ with a run.json)."""
    runs = home / "runs"
    return sorted(p for p in runs.iterdir() if (p / "run.json").is_file()) if runs.is_dir() else []


def measure_run(folder: Path) -> RunFolderUsage:
    traces, logs = tree_bytes(folder / "traces"), tree_bytes(folder / "logs")
    return RunFolderUsage(folder, traces, logs, tree_bytes(folder) - traces - logs)


def measure(home: Path, cache: Path, *, ask_engine: bool) -> DiskUsage:
    """Usage now; images from the engine when ``ask_engine`` (else as labs last recorded them)."""
    runs = [measure_run(folder) for folder in run_folders(home)]
    templates = list_templates(templates_root(cache))
    template_bytes = sum(t.bytes for t in templates)
    usage = DiskUsage(home, cache)
    usage.kinds += [
        KindUsage("runs", sum(r.rest for r in runs), len(runs), str(home / "runs")),
        KindUsage("traces", sum(r.traces for r in runs), len(runs), str(home / "runs" / "*" / "traces")),
        KindUsage("logs", sum(r.logs for r in runs), len(runs), str(home / "runs" / "*" / "logs")),
        KindUsage("templates", template_bytes, len(templates), str(templates_root(cache))),
    ]
    engine_list = image_use.engine_images(cache) if ask_engine else None
    if engine_list is not None:
        usage.kinds.append(KindUsage("images", sum(i.bytes for i in engine_list), len(engine_list), "engine"))
    else:
        recorded = image_use.read_uses(cache)
        usage.kinds.append(
            KindUsage(
                "images",
                image_use.recorded_bytes(cache),
                len(recorded),
                "engine",
                note=("no Docker engine answers; " if ask_engine else "")
                + "as last recorded by a docker lab",
            )
        )
    others = [p for p in cache.iterdir() if p != templates_root(cache)] if cache.is_dir() else []
    usage.kinds.append(KindUsage("toolchain", sum(tree_bytes(p) for p in others), len(others), str(cache)))
    return usage
