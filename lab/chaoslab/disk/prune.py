"""`chaoslab prune`: old runs, unused templates and our old or dangling images, never a lab that is up."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from chaoslab.disk import images as image_use
from chaoslab.disk.templates import (
    list_templates,
    read_template,
    remove_template,
    template_lock,
    templates_root,
)
from chaoslab.disk.usage import measure_run, run_folders
from chaoslab.errors import UsageError

DEFAULT_OLDER_THAN = "7d"
DEFAULT_KEEP = 5
_AGE = re.compile(r"^\s*(\d{1,9})\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_AGE_S = 100 * 365 * 86400
MAX_KEEP = 1_000_000


def parse_older_than(text: str) -> float:
    """Seconds from `7d`, `12h`, `30m`, `45s` or `2w`."""
    match = _AGE.match(text)
    if not match:
        raise UsageError(
            f"--older-than must be an age like 7d, 12h or 30m, not {text!r}.",
            hint="units are s, m, h, d, w; `--older-than 0s` lets --keep alone decide which runs stay.",
        )
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds > MAX_AGE_S:
        raise UsageError(
            f"--older-than {text} is more than 100 years.", hint="give an age such as 30d or 52w."
        )
    return float(seconds)


def parse_keep(text: str) -> int:
    """How many of the newest runs to keep whatever their age: a whole number, 0 or more."""
    value = text.strip()
    if not value.isdigit() or int(value) > MAX_KEEP:
        raise UsageError(
            f"--keep must be a whole number from 0 to {MAX_KEEP:,}, not {text!r}.",
            hint="`--keep 5` keeps the five newest runs; `--keep 0` lets --older-than alone decide.",
        )
    return int(value)


@dataclass
class PruneItem:
    """One thing prune removes (or would)."""

    kind: str  # "run", "template" or "image"
    name: str
    bytes: int
    reason: str
    remove: Callable[[], bool] = field(repr=False, compare=False, default=lambda: True)


@dataclass
class PrunePlan:
    """What prune removes, and what it leaves and why."""

    older_than_s: float
    keep: int
    items: list[PruneItem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.items)


def runs_up(home: Path) -> set[Path]:
    """Run folders of ``home`` with a lab up: the current one, and any whose supervisor or watcher lives."""
    from chaoslab.runs import Run
    from chaoslab.runs.run import current_run
    from chaoslab.runtimes.core.detached import DetachedProcess

    up = set()
    current = current_run()
    if current is not None:
        up.add(current.dir.resolve())
    for folder in run_folders(home):
        for pid_file in folder.glob("*.pid"):
            try:
                alive = DetachedProcess(Run.at(folder), "", pid_file.stem).pid() is not None
            except (UsageError, ValueError):
                alive = False
            if alive:
                up.add(folder.resolve())
    return up


def _created(folder: Path) -> float:
    """When a run was created: its run.json's mtime (written once, at start)."""
    return (folder / "run.json").stat().st_mtime


def plan_prune(home: Path, cache: Path, *, older_than_s: float, keep: int, images: bool = True) -> PrunePlan:
    """Decide what to remove; removes nothing."""
    now = time.time()
    cutoff = now - older_than_s
    plan = PrunePlan(older_than_s, keep)
    up = runs_up(home)
    folders = sorted(run_folders(home), key=_created, reverse=True)
    for index, folder in enumerate(folders):
        if folder.resolve() in up:
            plan.kept.append(f"run {folder.name}: its lab is up")
        elif index < keep:
            continue
        elif _created(folder) < cutoff:
            usage = measure_run(folder)
            plan.items.append(
                PruneItem("run", folder.name, usage.total, "older than the cutoff", partial(_rmtree, folder))
            )
    for template in list_templates(templates_root(cache)):
        if template.recently_used(now):
            plan.kept.append(f"template {template.name}: used in the last 15 minutes")
        elif template.last_used < cutoff:
            plan.items.append(
                PruneItem(
                    "template",
                    template.name,
                    template.bytes,
                    "not used since the cutoff",
                    partial(_remove_if_still_unused, template.path),
                )
            )
    if images:
        _plan_images(plan, cache, cutoff)
    return plan


def _plan_images(plan: PrunePlan, cache: Path, cutoff: float) -> None:
    found = image_use.engine_images(cache)
    if found is None:
        plan.kept.append("images: no Docker engine answers, so none were looked at")
        return
    plan_images(plan, found, cutoff, partial(image_use.remove_image, cache))


def plan_images(
    plan: PrunePlan, found: list[image_use.Image], cutoff: float, remove: Callable[[image_use.Image], bool]
) -> None:
    """Dangling images of ours, and tagged ones unused since ``cutoff``: never one a container uses
    or this checkout runs now (the engine is machine-wide: other homes' labs and tests use it)."""
    for image in found:
        if image.in_use:
            plan.kept.append(f"image {image.name}: a container of a lab uses it")
        elif image.current:
            plan.kept.append(f"image {image.name}: this checkout's labs run it")
        elif image.dangling or image.last_used < cutoff:
            reason = "dangling (a stage of an older build)" if image.dangling else "not used since the cutoff"
            plan.items.append(PruneItem("image", image.name, image.bytes, reason, partial(remove, image)))


def _remove_if_still_unused(path: Path) -> bool:
    """A lab of another state home may have picked the template since the plan was made."""
    try:
        template = read_template(path)
    except FileNotFoundError:
        return False
    if template.recently_used(time.time()):
        return False
    remove_template(template)
    return True


def _rmtree(folder: Path) -> bool:
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()


def apply_prune(plan: PrunePlan, cache: Path) -> list[PruneItem]:
    """Remove what ``plan`` lists; templates only under their lock. Returns what went."""
    removed = [item for item in plan.items if item.kind != "template" and item.remove()]
    templates = [item for item in plan.items if item.kind == "template"]
    if templates:
        # Wait for a build or a copy in progress (seconds); the 15-minute rule covers the rest.
        with template_lock(templates_root(cache)):
            removed += [item for item in templates if item.remove()]
    return removed
