"""Many `chaoslab` invocations in one process, each run the way the real entry point runs it.

Usage: ``python tests/lab/cli_batch.py < invocations.json``: a JSON list of argument lists in
(or of ``{"args": [...], "env": {...}}``: the variables are set from then on),
one JSON line per invocation out (exit code, stdout, stderr, and what it would have started).
Starting a process costs ~0.3 s; a parse costs a millisecond, so the fuzz test batches here.

What starts things (a lab, a game day, stress-ng, apt, image builds, exec of psql or tail, a
browser) is replaced by a stand-in that records the call and ends the invocation: only the
validation in front of it runs, and the fuzz test checks no bad value got that far.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
import time
import traceback
import webbrowser
from typing import Any

import typer


class WouldStart(BaseException):
    """Raised by a stand-in: the invocation got as far as starting something."""


def _stand_in(what: str) -> Any:
    def stand_in(*args: object, **kwargs: object) -> None:
        raise WouldStart(what)

    return stand_in


def _install_stand_ins() -> None:
    """Swap every entry point that starts something for a stand-in (looked up at call time by the CLI)."""
    import chaoslab.disk.prune
    import chaoslab.end_to_end
    import chaoslab.gameday.runner
    import chaoslab.lifecycle
    import chaoslab.repeat.runner
    import chaoslab.runtimes.docker.dockerd
    import chaoslab.runtimes.docker.images
    import chaoslab.setup

    chaoslab.lifecycle.start_lab = _stand_in("a lab")
    chaoslab.end_to_end.start_lab = _stand_in("a lab")  # `run` and `repeat` reach it from there
    chaoslab.gameday.runner.run_gameday = _stand_in("a game day")
    chaoslab.repeat.runner.keep_cores_busy = _stand_in("stress-ng")
    chaoslab.setup.install_missing = _stand_in("apt")
    chaoslab.runtimes.docker.dockerd.ensure_engine = _stand_in("dockerd")
    chaoslab.runtimes.docker.images.build_images = _stand_in("an image build")
    # The cache home is the shared one: a fuzzed `prune` must not remove its templates.
    chaoslab.disk.prune.apply_prune = _stand_in("a prune")
    os.execv = _stand_in("exec")
    os.execvp = _stand_in("exec")
    os.execve = _stand_in("exec")  # psql and redis-cli: the password goes in the environment
    webbrowser.open = _stand_in("a browser")
    subprocess.Popen = _stand_in("a subprocess")  # type: ignore[misc]
    # Typer rebuilds the command tree on every call (~35 ms): once is enough for a batch.
    typer.main.get_command = functools.cache(typer.main.get_command)


def run_one(args: list[str]) -> dict[str, Any]:
    """One invocation through `chaoslab.cli.main`, its output captured."""
    from chaoslab.cli import main

    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["chaoslab", *args]
    started: str | None = None
    clock = time.monotonic()
    code: int | str | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
        except WouldStart as exc:
            started, code = str(exc), None
        except BaseException:  # what `python -m chaoslab.cli` would have shown as a traceback
            traceback.print_exc()
            code = "traceback"
    return {
        "args": args,
        "code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "started": started,
        "seconds": round(time.monotonic() - clock, 3),
    }


if __name__ == "__main__":
    _install_stand_ins()
    for invocation in json.load(sys.stdin):
        # An invocation is its arguments, or {"args": [...], "env": {...}} to run in other settings.
        if isinstance(invocation, dict):
            os.environ.update(invocation["env"])
            print(json.dumps(run_one(invocation["args"])), flush=True)
        else:
            print(json.dumps(run_one(invocation)), flush=True)
