"""The files the lab ships beside its code: services, scenarios, Dockerfiles, the runtime lock.

In an installed wheel they are package data of this package (``chaoslab/shipped/services``, …,
mapped in at build time by pyproject.toml's wheel ``sources``). In a clone, and in its editable
install, they are the repository's own top-level folders, so an edit there is what the next lab
runs. Nothing else in the lab looks for them.

    from chaoslab.shipped import SCENARIOS, SERVICES
    sorted(p.name for p in SCENARIOS.iterdir())
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

# The folder the `chaoslab` package is imported from (what goes on PYTHONPATH), and the package.
PACKAGE_DIR = Path(__file__).resolve().parent.parent
IMPORT_ROOT = PACKAGE_DIR.parent


def _shipped_root() -> Path:
    # This package's folder is what importlib.resources.files(__name__) answers for a package on
    # disk, without its 10 ms of imports on the CLI's fast path. A zipped install is no use anyway:
    # the services are copied into each run and the Dockerfiles are build contexts, real files both.
    packaged = Path(__file__).resolve().parent
    if (packaged / "scenarios").is_dir():
        return packaged
    # A clone: lab/chaoslab/ sits in lab/, beside services/ and scenarios/.
    return IMPORT_ROOT.parent


ROOT = _shipped_root()
SERVICES = ROOT / "services"
SCENARIOS = ROOT / "scenarios"
DOCKER = ROOT / "docker"
REQUIREMENTS = ROOT / "requirements.lock"


def service_module(name: str) -> ModuleType:
    """A module of the shipped services, imported in this process (``services.recommender.world``).

    The services are not installed as a package of their own (a top-level ``services`` would
    collide with anyone's): their folder's parent joins the end of sys.path, so nothing is shadowed.
    """
    root = str(ROOT)
    if root not in sys.path:
        sys.path.append(root)
    return importlib.import_module(name)
