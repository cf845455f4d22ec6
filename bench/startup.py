"""Time from `chaoslab start` to every service healthy (warm template cache, warm images), per runtime."""

from __future__ import annotations

import argparse
import time

from lab_home import private_home, spread

from chaoslab.lifecycle import start_lab, stop_lab
from chaoslab.scenarios import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port-base", type=int, default=15600)
    parser.add_argument(
        "--runtime",
        action="append",
        choices=["local", "docker"],
        help="repeat to compare (default: local and docker; docker needs `chaoslab images build`)",
    )
    args = parser.parse_args()
    scenario = load_scenario("db-pool-exhaustion")
    results: dict[str, list[float]] = {}
    with private_home():
        for runtime in args.runtime or ["local", "docker"]:
            figures = results.setdefault(runtime, [])
            for attempt in range(args.runs + 1):  # the first one warms the caches
                started = time.perf_counter()
                live = start_lab(
                    scenario, seed=1, port_base=args.port_base, runtime=runtime, echo=lambda _: None
                )
                elapsed = time.perf_counter() - started
                stop_lab(live.run)
                if attempt:
                    figures.append(elapsed)
                print(
                    f"{runtime} {'run ' + str(attempt) if attempt else 'warm-up'}: {elapsed:.2f} s to healthy"
                )
    count = len(scenario.services)
    for runtime, figures in results.items():
        print(
            f"{runtime:<6} start → all {count} services healthy, warm ({args.runs} runs): {spread(figures)} s"
        )


if __name__ == "__main__":
    main()
