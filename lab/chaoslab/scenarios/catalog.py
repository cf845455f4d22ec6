"""Finding and loading scenario files, with errors that name the file, line and field."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from chaoslab.errors import UsageError
from chaoslab.scenarios.model import Scenario
from chaoslab.shipped import SCENARIOS

SCENARIOS_DIR = Path(os.environ.get("CHAOSLAB_SCENARIOS", SCENARIOS))


def _line_of(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            # Discriminated unions add the tag (e.g. "flag") to the path: skip it.
            continue
        line = node.start_mark.line + 1
    return line


M = TypeVar("M", bound=BaseModel)


# A scenario id is a folder name under scenarios/, never a path (and never 5,000 characters).
SCENARIO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def load_validated(path: Path, model: type[M], *, what: str, hint: str) -> M:
    """Read a YAML file into ``model``; any problem is one error naming the file, line and field."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UsageError(f"{str(path)!r}: no such {what} file.") from None
    except IsADirectoryError:
        raise UsageError(f"{str(path)!r} is a folder, not a {what} file.") from None
    except UnicodeDecodeError:
        raise UsageError(f"{str(path)!r} is not a {what} file (not text).", hint=hint) from None
    except OSError as exc:
        raise UsageError(f"Cannot read the {what} file {str(path)!r}: {exc.strerror}.") from None
    try:
        # libyaml when built in (~10x faster); the node tree with line numbers only on a problem.
        data: Any = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UsageError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}).",
            hint="check indentation and quoting around that line.",
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a {what} file must be a mapping (key: value, …) at the top level.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        root = yaml.compose(text)
        line = _line_of(root, loc) if root is not None else 1
        more = len(exc.errors()) - 1
        raise UsageError(
            f"{path}:{line}: field `{field}`: {first['msg']}"
            + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
            + ".",
            hint=hint,
        ) from None


def parse_scenario(path: Path) -> Scenario:
    """Read and validate one scenario.yaml."""
    return load_validated(path, Scenario, what="scenario", hint="see docs/scenario-format.md for the schema.")


def list_scenarios() -> list[Scenario]:
    """Every scenario under scenarios/, sorted by id."""
    return sorted((parse_scenario(p) for p in SCENARIOS_DIR.glob("*/scenario.yaml")), key=lambda s: s.id)


def load_scenario(scenario_id: str) -> Scenario:
    """The scenario with this id, or an error listing the known ones."""
    path = SCENARIOS_DIR / scenario_id / "scenario.yaml"
    if not SCENARIO_ID.fullmatch(scenario_id) or not path.exists():
        known = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/scenario.yaml"))
        raise UsageError(
            f"Unknown scenario {scenario_id!r}.",
            hint=f"known scenarios: {', '.join(known)} (`chaoslab list`).",
        )
    scenario = parse_scenario(path)
    if scenario.id != scenario_id:
        raise UsageError(f"{path}: id is {scenario.id!r} but the folder is {scenario_id!r}; make them equal.")
    return scenario
