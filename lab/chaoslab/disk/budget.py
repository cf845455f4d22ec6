"""The disk budget for caches and runs, and least-recently-used eviction of templates and images.

Runs are what people look back at, so the budget never deletes one on its own: it evicts
database templates and our images, oldest last use first, which a later lab can rebuild
(~8 s for a template). When runs alone are over the budget it says so and points at `prune`.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaoslab.disk import images as image_use
from chaoslab.disk.sizes import human, parse_size
from chaoslab.disk.templates import list_templates, remove_template, template_lock, templates_root
from chaoslab.disk.usage import measure
from chaoslab.echo import Echo

BUDGET_ENV = "CHAOSLAB_DISK_BUDGET"
# Room for ~10 templates, the docker images and a few weeks of runs, on a small VM's disk.
DEFAULT_BUDGET = "20G"


def budget_bytes() -> int:
    """$CHAOSLAB_DISK_BUDGET (e.g. 20G) or the default, in bytes."""
    return parse_size(os.environ.get(BUDGET_ENV) or DEFAULT_BUDGET, what=f"${BUDGET_ENV}")


@dataclass
class Evictable:
    """Something the budget may remove: a template or an image, with its size and last use."""

    kind: str  # "template" or "image"
    name: str
    bytes: int
    last_used: float
    # Removes it; False when it could not go (an image another image is built on).
    remove: Callable[[], bool] = field(repr=False, compare=False, default=lambda: True)


def choose_evictions(candidates: list[Evictable], used: int, budget: int) -> list[Evictable]:
    """The least recently used candidates to remove until ``used`` fits ``budget`` (maybe not all)."""
    chosen = []
    for candidate in sorted(candidates, key=lambda c: c.last_used):
        if used <= budget:
            break
        chosen.append(candidate)
        used -= candidate.bytes
    return chosen


@dataclass
class BudgetCheck:
    """What one check found and did."""

    budget: int
    used_before: int
    evicted: list[Evictable]

    @property
    def used_after(self) -> int:
        return self.used_before - sum(e.bytes for e in self.evicted)

    @property
    def over(self) -> bool:
        return self.used_after > self.budget


def enforce_budget(
    home: Path, cache: Path, *, keep: set[Path] | frozenset[Path] = frozenset(), echo: Echo = print
) -> BudgetCheck:
    """Evict templates and images, least recently used first, until the lab fits its budget.

    The caller holds the templates' lock exclusively (lab/chaoslab/disk/templates.py), so no template is
    being copied. Never evicted: ``keep``, a template used in the last 15 minutes, an image a
    container was made from or that this checkout's labs run now. Images are counted as
    recorded (no engine needed unless one goes).
    """
    budget = budget_bytes()
    usage = measure(home, cache, ask_engine=False)
    now = time.time()
    candidates = [
        Evictable("template", t.name, t.bytes, t.last_used, functools.partial(remove_template, t))
        for t in list_templates(templates_root(cache))
        if t.path not in keep and not t.recently_used(now)
    ]
    if usage.total > budget and usage.of("images").bytes:
        candidates += _image_candidates(cache)
    chosen = [victim for victim in choose_evictions(candidates, usage.total, budget) if victim.remove()]
    for victim in chosen:
        echo(f"disk budget {human(budget)}: removed the {victim.kind} {victim.name} ({human(victim.bytes)})")
    check = BudgetCheck(budget, usage.total, chosen)
    if check.over:
        echo(
            f"the lab uses {human(check.used_after)} of its {human(budget)} disk budget "
            f"({human(usage.of('runs').bytes + usage.of('traces').bytes + usage.of('logs').bytes)} in runs); "
            "`chaoslab prune` removes old runs, `chaoslab disk` shows what is where"
        )
    return check


def make_room(echo: Echo = print) -> BudgetCheck:
    """Keep this state home and cache within the budget, as each lab's start does.

    Under the templates' lock held exclusively; the template the lab has just copied or built
    was used this minute, so it stays (``RECENT_USE_S``).
    """
    from chaoslab.homes import cache_home, state_home

    home, cache = state_home(), cache_home()
    with template_lock(templates_root(cache)):
        return enforce_budget(home, cache, echo=echo)


def _image_candidates(cache: Path) -> list[Evictable]:
    found = image_use.engine_images(cache) or []
    return [
        Evictable(
            "image",
            image.name,
            image.bytes,
            image.last_used,
            functools.partial(image_use.remove_image, cache, image),
        )
        for image in found
        if not image.in_use and not image.current
    ]
