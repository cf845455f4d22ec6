"""How fast the `chaoslab` command answers: each command as a subprocess, several runs, min/median/max.

`--help` and `list` need no lab; `status`, `alerts`, `query` and `verify` run against a lab
this script starts (`chaoslab start db-pool-exhaustion --no-fault`, private CHAOSLAB_HOME,
port base 17800 by default) and stops afterwards.

Beside the wall time of the subprocess (min / median / max), `cpu` is its median user + system
time: what a run costs whatever else the machine is doing (on a busy machine wall time waits for
a core). The same command run in this process (imports warm) shows the command's own work: its
probes and HTTP calls (median). A probe also costs the loading of its client library the first
time (`verify` measures a SQL probe: psycopg takes ~0.1 s to import), shown apart as `clients`:
which client libraries the command loads beyond the CLI's own modules, and their import time
in a fresh interpreter. What is left of the median wall time is the CLI's start-up cost
(interpreter, imports, parsing), the figure the targets are about: ≤ 0.3 s for `--help` and
`list`, ≤ 0.5 s plus the probe time for the lab commands.

The lab commands ask the running lab's API (lab/chaoslab/lab_api/) and load no schema; with
CHAOSLAB_NO_LAB_API=1 in the environment they work their answers out in their own process, as
before the API, which gives the figure to compare.

Each command runs once first, uncounted: as on an installed chaoslab, Python's bytecode cache
and the catalog cache are warm. Where PYTHONDONTWRITEBYTECODE is set (some CI images), the
commands get a private PYTHONPYCACHEPREFIX instead, so nothing is written into the checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lab_home import private_home

NO_LAB = [["--help"], ["list"]]
ON_A_LAB = [["status"], ["alerts"], ["query", "up"], ["verify"]]


def chaoslab_argv() -> list[str]:
    """The installed `chaoslab` script beside this interpreter, as a learner runs it."""
    script = Path(sys.executable).parent / "chaoslab"
    return [str(script)] if script.exists() else [sys.executable, "-m", "chaoslab.cli"]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall_times(args: list[str], runs: int) -> tuple[list[float], list[float], set[int]]:
    """Per run of `chaoslab ARGS` in a fresh process (after one uncounted run): wall seconds, CPU
    seconds (user + system: what the run costs whatever else the machine does), and exit codes."""
    figures, cpu, codes = [], [], set()
    for attempt in range(runs + 1):
        started, cpu_before = time.perf_counter(), _children_cpu_s()
        done = subprocess.run([*chaoslab_argv(), *args], capture_output=True, text=True)
        if attempt:
            figures.append(time.perf_counter() - started)
            cpu.append(_children_cpu_s() - cpu_before)
            codes.add(done.returncode)
    return figures, cpu, codes


def in_process_times(args: list[str], runs: int) -> list[float]:
    """Seconds per run of the same command in this process, after one warm-up run."""
    from chaoslab.cli import app

    figures = []
    for attempt in range(runs + 1):
        sink = io.StringIO()
        started = time.perf_counter()
        # `verify` says no with an exception: the time is what counts here.
        with (
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
            contextlib.suppress(Exception, SystemExit),
        ):
            app(args, standalone_mode=False)
        if attempt:
            figures.append(time.perf_counter() - started)
    return figures


# The client libraries of the lab's probes; what the CLI imports for itself is not counted.
PROBE_CLIENTS = ("psycopg", "redis", "playwright")
CLI_CORE = "import chaoslab.cli, chaoslab.lifecycle, chaoslab.scenarios.observe, chaoslab.reports.summary"


def probe_clients(args: list[str], runs: int) -> tuple[list[str], float]:
    """The probe client libraries `chaoslab ARGS` loads beyond the CLI's own modules, and the
    median time they take to import in a fresh interpreter that has the CLI's modules already."""
    script = (
        f"import contextlib, io, sys\n{CLI_CORE}\nbefore = set(sys.modules)\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), "
        "contextlib.suppress(Exception, SystemExit):\n"
        f"    chaoslab.cli.app({args!r}, standalone_mode=False)\n"
        f"print(','.join(c for c in {PROBE_CLIENTS!r} if c in sys.modules and c not in before))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout.strip()
    clients = [c for c in loaded.split(",") if c]
    if not clients:
        return [], 0.0
    timing = (
        f"import time\n{CLI_CORE}\nstarted = time.perf_counter()\nimport {', '.join(clients)}\n"
        "print(time.perf_counter() - started)\n"
    )
    seconds = [
        float(subprocess.run([sys.executable, "-c", timing], capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]
    return clients, statistics.median(seconds)


def row(
    args: list[str],
    measured: tuple[list[float], list[float], set[int]],
    own: list[float] | None,
    clients: tuple[list[str], float] = ([], 0.0),
) -> str:
    wall, cpu, codes = measured
    ordered = sorted(wall)
    median = statistics.median(ordered)
    own_median = statistics.median(own) if own else 0.0
    names, loading = clients
    start_up = median - own_median - loading
    return (
        f"{' '.join(args):<12} {ordered[0]:6.2f} {median:6.2f} {ordered[-1]:6.2f}"
        f"  {statistics.median(cpu):6.2f}  {own_median:8.2f} {loading:7.2f} {start_up:9.2f}"
        f"   {','.join(map(str, sorted(codes))):<4}  {', '.join(names)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port-base", type=int, default=17800)
    parser.add_argument("--no-lab", action="store_true", help="only `--help` and `list`")
    args = parser.parse_args()
    lines = []
    load_before = os.getloadavg()[0]
    with private_home() as home:
        os.environ["COLUMNS"] = "120"
        if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
            os.environ["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
        for command in NO_LAB:
            lines.append(row(command, wall_times(command, args.runs), None))
        if not args.no_lab:
            os.environ["CHAOSLAB_PORT_BASE"] = str(args.port_base)
            start = [*chaoslab_argv(), "start", "db-pool-exhaustion", "--no-fault"]
            started = subprocess.run(start, capture_output=True, text=True)
            try:
                if started.returncode != 0:
                    sys.exit(f"the lab did not start:\n{started.stderr}")
                for command in ON_A_LAB:
                    measured = wall_times(command, args.runs)
                    own = in_process_times(command, args.runs)
                    lines.append(row(command, measured, own, probe_clients(command, args.runs)))
            finally:
                subprocess.run([*chaoslab_argv(), "stop"], capture_output=True)
    print(
        f"chaoslab command speed, {args.runs} runs each (seconds; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores)"
    )
    print(
        f"{'command':<12} {'min':>6} {'median':>6} {'max':>6}  {'cpu':>6}"
        f"  {'own work':>8} {'clients':>7} {'start-up':>9}   exit  probe clients loaded"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
