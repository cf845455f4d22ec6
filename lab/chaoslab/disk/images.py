"""Our container images: what the engine holds of ours, and when each was last used by a lab.

The docker runtime records each image it starts a lab with (lab/chaoslab/runtimes/docker/image_use.py);
the engine is asked only when something of ours must actually be removed, or by `chaoslab
disk` / `prune`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Re-exported: the budget, `disk` and `prune` read the record through this module.
from chaoslab.runtimes.docker.image_use import (  # noqa: F401
    USE_FILE,
    forget,
    read_uses,
    record_use,
    recorded_bytes,
    use_file,
)


@dataclass
class Image:
    """One image of ours in the engine (or, without an engine, as last recorded)."""

    id: str
    tags: list[str]
    bytes: int
    last_used: float
    in_use: bool = False  # a container (running or not) was made from it
    current: bool = False  # one of the images this checkout's labs run now

    @property
    def name(self) -> str:
        return self.tags[0] if self.tags else f"<untagged {self.id.removeprefix('sha256:')[:12]}>"

    @property
    def dangling(self) -> bool:
        return not self.tags


def current_refs() -> set[str]:
    """The references this checkout's labs run now (offline and upstream sets, overrides applied).

    Never pruned or evicted whatever their age: rebuilding them takes minutes and a network,
    and until a docker lab has recorded a use, an image's only date is when it was built.
    """
    from chaoslab.errors import LabError
    from chaoslab.runtimes.docker.images import base_ref, image_set

    refs = {base_ref()}
    for offline in (True, False):
        try:
            refs |= set(image_set(offline).model_dump().values())
        except (LabError, OSError):
            continue  # a recipe that cannot be hashed here (no toxiproxy-server) names no image
    return refs


def engine_images(cache: Path) -> list[Image] | None:
    """Our images (label io.chaoslab, or named chaoslab/*), or None when no engine answers."""
    from chaoslab.errors import EnvironmentProblem
    from chaoslab.runtimes.docker.engine import LAB_LABEL, engine

    try:
        client = engine()
    except EnvironmentProblem:
        return None
    uses = read_uses(cache)
    current = current_refs()
    used_by_containers = {c.attrs.get("Image") for c in client.containers.list(all=True, ignore_removed=True)}
    found: dict[str, Image] = {}
    for raw in client.api.images(all=False, filters={"label": LAB_LABEL}) + client.api.images(
        name="chaoslab/*"
    ):
        found[raw["Id"]] = _image(raw, uses, used_by_containers, current)
    return sorted(found.values(), key=lambda image: image.last_used)


def _image(
    raw: dict[str, Any], uses: dict[str, dict[str, float]], used: set[str], current: set[str]
) -> Image:
    tags = [tag for tag in raw.get("RepoTags") or [] if tag != "<none>:<none>"]
    recorded = [uses[tag]["last_used"] for tag in tags if tag in uses]
    return Image(
        id=raw["Id"],
        tags=tags,
        bytes=int(raw.get("Size", 0)),
        last_used=max(recorded) if recorded else float(raw.get("Created", 0)),
        in_use=raw["Id"] in used,
        current=bool(current.intersection(tags)),
    )


def remove_image(cache: Path, image: Image) -> bool:
    """Remove an image of ours (never forced); False when the engine keeps it (a child image uses it)."""
    from docker.errors import APIError

    from chaoslab.runtimes.docker.engine import engine

    try:
        engine().api.remove_image(image.id, force=False, noprune=False)
    except APIError:
        return False
    forget(cache, image.tags)
    return True
