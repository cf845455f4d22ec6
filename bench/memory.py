"""Resident memory of the whole lab (every process with the run's label), under load and under the fault."""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import psutil
from lab_home import private_home

from chaoslab.lifecycle import inject, start_lab, start_load, stop_lab
from chaoslab.runs.run import RUN_ID_ENV
from chaoslab.runtimes.local.runtime import processes_of_run
from chaoslab.scenarios import load_scenario


def footprint(run_id: str) -> tuple[float, float, dict[str, float]]:
    """Total RSS and PSS in MiB, and PSS per service (PSS shares PostgreSQL's shared buffers fairly)."""
    rss = pss = 0.0
    per_service: dict[str, float] = defaultdict(float)
    for proc in processes_of_run(run_id):
        try:
            info = proc.memory_full_info()
            # Redis and PostgreSQL overwrite their environment with their titles; their cwd tells.
            env = proc.environ()
            service = env.get("CHAOSLAB_SERVICE") or (
                _companion(proc.cmdline()) if RUN_ID_ENV in env else Path(proc.cwd()).name
            )
        except psutil.Error:
            continue
        rss += info.rss / 2**20
        pss += info.pss / 2**20
        per_service[service] += info.pss / 2**20
    return rss, pss, dict(per_service)


# The run's own processes, started as `python -m MODULE RUN_DIR` (runtimes/core/detached.py).
COMPANIONS = {"chaoslab.runtimes.local.supervisor": "supervisor", "chaoslab.lab_api": "lab-api"}


def _companion(argv: list[str]) -> str:
    """Which of the run's own processes this is: its module's name, else its program's."""
    module = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else ""
    return COMPANIONS.get(module) or (Path(argv[0]).name if argv else "?")


def report(label: str, run_id: str) -> None:
    rss, pss, per_service = footprint(run_id)
    parts = ", ".join(f"{name} {mib:.0f}" for name, mib in sorted(per_service.items(), key=lambda kv: -kv[1]))
    print(f"{label}: PSS {pss:.0f} MiB (RSS sum {rss:.0f} MiB) — {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-base", type=int, default=15600)
    parser.add_argument("--settle", type=float, default=20, help="seconds of traffic before each reading")
    args = parser.parse_args()
    scenario = load_scenario("db-pool-exhaustion")
    with private_home():
        live = start_lab(scenario, seed=1, port_base=args.port_base, echo=lambda _: None)
        try:
            start_load(live)
            time.sleep(args.settle)  # a fixed span of traffic, then a reading
            report("under load (baseline)", live.run.id)
            inject(live)
            time.sleep(args.settle)
            report("under the fault", live.run.id)
        finally:
            stop_lab(live.run)


if __name__ == "__main__":
    main()
