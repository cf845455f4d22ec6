"""The real `chaoslab` command in tests: a subprocess per call, as a learner or a script runs it.

done = run_chaoslab("status", "--json", port_base=port_base)
assert done.returncode == 0, done.stderr
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests import REPO_ROOT


def run_chaoslab(
    *args: str,
    home: str | Path | None = None,
    port_base: int | None = None,
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m chaoslab.cli ARGS` from the checkout, 200 columns wide; ``home`` and ``port_base``
    set CHAOSLAB_HOME and CHAOSLAB_PORT_BASE, ``env`` adds variables, ``unset`` drops some."""
    environment = {**os.environ, "COLUMNS": "200"}
    if home is not None:
        environment["CHAOSLAB_HOME"] = str(home)
    if port_base is not None:
        environment["CHAOSLAB_PORT_BASE"] = str(port_base)
    environment |= dict(env or {})
    for name in unset:
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "chaoslab.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env=environment,
    )
