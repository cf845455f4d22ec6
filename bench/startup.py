"""Time from `chaoslab start` to every service healthy, with a warm template cache."""

from __future__ import annotations

import argparse
import time

from lab_home import private_home, spread

from lab.lifecycle import start_lab, stop_lab
from lab.scenarios import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port-base", type=int, default=15600)
    args = parser.parse_args()
    scenario = load_scenario("db-pool-exhaustion")
    with private_home():
        figures = []
        for attempt in range(args.runs + 1):  # the first one warms the template cache
            started = time.perf_counter()
            live = start_lab(scenario, seed=1, port_base=args.port_base, echo=lambda _: None)
            elapsed = time.perf_counter() - started
            stop_lab(live.run)
            if attempt:
                figures.append(elapsed)
            print(f"{'run ' + str(attempt) if attempt else 'warm-up'}: {elapsed:.2f} s to healthy")
    count = len(scenario.services)
    print(f"start → all {count} services healthy, warm ({args.runs} runs): {spread(figures)} s")


if __name__ == "__main__":
    main()
