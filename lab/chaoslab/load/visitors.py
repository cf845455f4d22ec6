"""Real-browser visitors: Chromium walks the frontend's page in a loop, the way people do.

Locust speaks HTTP only; these visitors run the page's own JavaScript, so its
errors and its frozen overlays happen for real and reach the frontend's error
reports (`frontend_client_errors_total`). One line of JSON per visit goes to the
log (`chaoslab logs visitors`). Bounded in time and in visits, seeded pauses.

Run as ``python -m chaoslab.load.visitors --url URL --seed N --max-seconds S [--until EPOCH]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import signal
import sys
import time

from chaoslab.probes.browser import launch, visit


def main(argv: list[str] | None = None) -> None:
    """Visit the page until the time or visit budget is spent."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--max-visits", type=int, default=2000)
    # The lab session's end, epoch seconds: the visitors leave with the rest of the load.
    parser.add_argument("--until", type=float, default=None)
    # A person stares at a spinner for about a minute, then gives up and reloads.
    parser.add_argument("--patience-s", type=float, default=60)
    args = parser.parse_args(argv)

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    # SystemExit unwinds the with-blocks below, which close Chromium.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.max_seconds
    if args.until is not None:
        deadline = min(deadline, time.monotonic() + args.until - time.time())
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for number in itertools.count(1):
                if time.monotonic() >= deadline or number > args.max_visits:
                    break
                try:
                    journey = visit(
                        browser,
                        args.url,
                        user=f"visitor-{number}",
                        share_timeout_s=args.patience_s,
                        other_wait_s=5,
                        linger_s=args.patience_s,
                    )
                    record: dict[str, object] = {"visit": number, **journey.summary()}
                except PlaywrightError as exc:
                    record = {"visit": number, "error": str(exc).splitlines()[0]}
                print(json.dumps(record), flush=True)
                time.sleep(rng.uniform(1.0, 3.0))
        finally:
            browser.close()


if __name__ == "__main__":
    main()
