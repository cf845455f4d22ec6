"""Where a lab's UIs and files are: URLs from the run's port plan, paths in its run folder.

`chaoslab open` prints them (and opens one in a browser where there is one), `chaoslab start`
ends with them. The URLs are those of `chaoslab env` (the same port plan), with the page a person
wants: Prometheus' graph, alerts and targets pages rather than its API.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaoslab.runs.run import Run
from chaoslab.specs.catalog import DEFINITIONS, OFFSETS
from chaoslab.specs.ports import PortPlan


@dataclass(frozen=True)
class Place:
    """One UI (a URL) or file of a lab."""

    name: str
    location: str
    what: str
    # A file or folder of the run, rather than a URL of the running lab.
    is_file: bool = False
    # Shown at the end of `chaoslab start` (the others: `chaoslab open`).
    main: bool = False
    # Something a browser shows (a Unix socket is not).
    browsable: bool = True

    @property
    def url(self) -> str:
        """What a browser opens: the URL, or the file's file:// URL."""
        return Path(self.location).as_uri() if self.is_file else self.location

    @property
    def exists(self) -> bool:
        return not self.is_file or Path(self.location).exists()


def lab_places(run: Run, services: Iterable[str], *, running: bool = True) -> list[Place]:
    """The UIs of the run's lab (when ``running``) and its files, in the order people need them."""
    present = set(services)
    ports = PortPlan(run.info.port_base)
    found: list[Place] = []
    if running:
        if "prometheus" in present:
            prometheus = f"http://127.0.0.1:{ports['prometheus']}"
            found += [
                Place(
                    "prometheus",
                    f"{prometheus}/graph",
                    # A browser asks for the login; `chaoslab env` prints it.
                    "Prometheus web UI: graphs and PromQL (the browser asks for a login: user chaoslab, "
                    "password CHAOSLAB_PROMETHEUS_PASSWORD from `chaoslab env` or the run's secrets.env)",
                    main=True,
                ),
                Place("alerts", f"{prometheus}/alerts", "Prometheus: alerting rules, pending and firing"),
                Place("targets", f"{prometheus}/targets", "Prometheus: scrape targets and their last error"),
            ]
        for service in services:
            if (web := DEFINITIONS[service].web) is not None:
                found.append(Place(service, f"http://127.0.0.1:{ports[service]}", web, main=True))
            if f"{service}-metrics" in OFFSETS:
                url = f"http://127.0.0.1:{ports[f'{service}-metrics']}/metrics"
                found.append(Place(f"{service}-metrics", url, f"where {service} serves its metrics"))
        if "toxiproxy" in present and run.toxiproxy_socket.exists():
            # Not a URL a browser opens: the API is on the owner's Unix socket only.
            found.append(
                Place(
                    "toxiproxy",
                    str(run.toxiproxy_socket),
                    "Toxiproxy's API (the links and their toxics), on a socket only you can open: "
                    f"curl --unix-socket {run.toxiproxy_socket} http://toxiproxy/proxies",
                    is_file=True,
                    browsable=False,
                )
            )
        elif "toxiproxy" in present:
            url = f"http://127.0.0.1:{ports['toxiproxy']}/proxies"
            found.append(Place("toxiproxy", url, "Toxiproxy's API: the links and their toxics"))
    report = run.dir / "report"
    found += [
        Place(
            "report",
            str(report / "postmortem.html"),
            "the post-mortem draft as a page (`chaoslab stop` or `chaoslab report` writes it)",
            is_file=True,
            main=True,
        ),
        Place("postmortem", str(report / "postmortem.md"), "the post-mortem draft to edit", is_file=True),
        Place("traces", str(run.traces_dir), "exported spans (`chaoslab traces` shows them)", is_file=True),
        Place("logs", str(run.logs_dir), "every service's log (`chaoslab logs SERVICE`)", is_file=True),
        Place("hints", str(run.dir / "hints.md"), "every hint shown so far", is_file=True),
        Place("run", str(run.dir), "the run folder: timeline, state, configuration", is_file=True),
    ]
    return found


def place_json(place: Place) -> dict[str, Any]:
    """A place as `chaoslab open --json` prints it."""
    return {
        "name": place.name,
        "url": place.url,
        "path": place.location if place.is_file else None,
        "what": place.what,
        "exists": place.exists,
    }


def browser_available() -> bool:
    """Whether opening a browser here shows one to a person without blocking this command.

    Never in CI, never without a display (a console browser such as lynx would take the
    terminal over); only browsers that detach from us (xdg-open, a GUI browser, macOS `open`).
    """
    if os.environ.get("CI"):
        return False
    if sys.platform != "darwin" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if isinstance(browser, webbrowser.BackgroundBrowser):
        return True
    if isinstance(browser, webbrowser.UnixBrowser):
        return bool(browser.background)
    return sys.platform == "darwin"


def open_in_browser(url: str) -> bool:
    """Open ``url`` in a browser when `browser_available`; whether it did."""
    if not browser_available():
        return False
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
