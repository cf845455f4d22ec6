"""The optional parts of chaoslab, installed as pip extras, and the error that names the missing one."""

from __future__ import annotations

import importlib
from types import ModuleType

from chaoslab.errors import EnvironmentProblem


def import_extra(module: str, *, extra: str, needed_by: str) -> ModuleType:
    """``module``, or an error naming the chaoslab extra that installs it.

    docker = import_extra("docker", extra="docker", needed_by="The docker runtime")
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise EnvironmentProblem(
            f"{needed_by} needs the Python package {module.split('.')[0]!r}, which is not installed.",
            hint=f"pip install 'chaoslab[{extra}]' (in a clone, `./chaoslab.sh setup` installs every extra).",
        ) from None
