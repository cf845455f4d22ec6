"""A lab's takedown at the end of its session: `python -m chaoslab.takedown RUN_DIR`, started by the
supervisor or the docker watcher (lab/chaoslab/runtimes/core/session_clock.py), in a process of its own
because it stops them too.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from chaoslab.errors import LabError
from chaoslab.runs.run import Run


def take_down(run_dir: Path) -> None:
    """End the session's lab as `chaoslab stop` does, then write its post-mortem draft."""
    # The pointer and the sweeps are the run's own state home's, whatever $CHAOSLAB_HOME says here.
    os.environ["CHAOSLAB_HOME"] = str(run_dir.parent.parent)
    from chaoslab.lifecycle import stop_lab
    from chaoslab.reports.postmortem import write_postmortem

    run = Run.at(run_dir)
    started = time.monotonic()
    stop_lab(run, echo=print)
    print(f"lab down in {time.monotonic() - started:.1f}s", flush=True)
    try:
        files = write_postmortem(run)
        print(f"post-mortem draft: {files.markdown}", flush=True)
    except LabError as exc:  # the run folder keeps what `chaoslab report` needs to try again
        print(f"no post-mortem draft: {exc.render()}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args(argv)
    take_down(args.run_dir.resolve())


if __name__ == "__main__":
    main()
