"""Wall time of one whole `chaoslab run db-pool-exhaustion` (up, baseline, fault, fix, recovery, down)."""

from __future__ import annotations

import argparse
import time

from lab_home import private_home, spread

from chaoslab.end_to_end import run_scenario
from chaoslab.scenarios import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port-base", type=int, default=15600)
    args = parser.parse_args()
    scenario = load_scenario("db-pool-exhaustion")
    figures = []
    with private_home():
        for attempt in range(1, args.runs + 1):
            started = time.perf_counter()
            outcome = run_scenario(scenario, seed=args.seed, port_base=args.port_base, echo=lambda _: None)
            elapsed = time.perf_counter() - started
            figures.append(elapsed)
            phases = ", ".join(f"{p.name} {p.elapsed_s:.0f}s" for p in outcome.phases)
            print(f"run {attempt}: {elapsed:.1f} s, {'passed' if outcome.ok else 'FAILED'} ({phases})")
    print(f"full run of db-pool-exhaustion ({args.runs} runs): {spread(figures)} s")


if __name__ == "__main__":
    main()
