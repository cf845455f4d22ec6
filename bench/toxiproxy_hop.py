"""What the Toxiproxy hop costs: `SELECT 1` round trips straight to PostgreSQL vs through the shop's link."""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from lab_home import private_home

from chaoslab.lifecycle import start_lab, stop_lab
from chaoslab.scenarios import load_scenario
from chaoslab.specs.catalog.postgres import dsn


def round_trips(url: str, count: int) -> list[float]:
    """Latencies in ms of ``count`` `SELECT 1` on one connection."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(200):  # warm the connection and the caches
            conn.execute("SELECT 1")
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def describe(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--port-base", type=int, default=15600)
    args = parser.parse_args()
    scenario = load_scenario("db-pool-exhaustion")
    with private_home():
        live = start_lab(scenario, seed=1, port_base=args.port_base, echo=lambda _: None)
        try:
            password = live.secrets.postgres
            direct = describe(round_trips(dsn(live.ports["postgres"], password), args.count))
            proxied = describe(round_trips(dsn(live.ports["shop-postgres"], password), args.count))
        finally:
            stop_lab(live.run)
    print(f"direct:         P50 {direct[0]:.3f} ms  P99 {direct[1]:.3f} ms  ({args.count} round trips)")
    print(f"via Toxiproxy:  P50 {proxied[0]:.3f} ms  P99 {proxied[1]:.3f} ms")
    print(f"hop overhead:   P50 {proxied[0] - direct[0]:+.3f} ms  P99 {proxied[1] - direct[1]:+.3f} ms")


if __name__ == "__main__":
    main()
