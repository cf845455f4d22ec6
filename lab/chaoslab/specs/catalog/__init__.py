"""The services a lab can run: one home per service (a module, or a folder with its rules and
load), registered here with one line each. The ports of every lab follow from these homes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chaoslab.errors import UsageError
from chaoslab.specs.catalog.base import LabContext, ScrapeJob, ServiceDefinition
from chaoslab.specs.catalog.checkout import Checkout
from chaoslab.specs.catalog.exporter import Exporter
from chaoslab.specs.catalog.features import Features
from chaoslab.specs.catalog.frontend import Frontend
from chaoslab.specs.catalog.locust import Locust
from chaoslab.specs.catalog.postgres import Postgres
from chaoslab.specs.catalog.profile import Profile
from chaoslab.specs.catalog.prometheus import Prometheus
from chaoslab.specs.catalog.recommender import Recommender
from chaoslab.specs.catalog.redis import Redis
from chaoslab.specs.catalog.shop import Shop
from chaoslab.specs.catalog.social import Social
from chaoslab.specs.catalog.toxiproxy import Toxiproxy
from chaoslab.specs.catalog.visitors import Visitors

_ALL: list[ServiceDefinition] = [
    Postgres(),
    Redis(),
    Toxiproxy(),
    Prometheus(),
    Shop(),
    Checkout(),
    Profile(),
    Social(),
    Frontend(),
    Visitors(),
    Recommender(),
    Features(),
    Exporter(),
    Locust(),
]
DEFINITIONS: dict[str, ServiceDefinition] = {d.name: d for d in _ALL}


def _offsets(definitions: list[ServiceDefinition]) -> dict[str, int]:
    """Every port name of every home and its offset; two homes claiming a name or an offset is a bug."""
    offsets: dict[str, int] = {}
    for d in definitions:
        for port, offset in d.ports.items():
            clash = next((name for name, taken in offsets.items() if port == name or offset == taken), None)
            if clash is not None:
                raise RuntimeError(f"{d.name}'s port {port!r} (offset {offset}) clashes with {clash!r}")
            offsets[port] = offset
    return offsets


# Port name -> offset from the run's port base (chaoslab.specs.ports.PortPlan adds the base).
OFFSETS: dict[str, int] = _offsets(_ALL)


def definition(name: str) -> ServiceDefinition:
    """The definition of service ``name``."""
    try:
        return DEFINITIONS[name]
    except KeyError:
        raise UsageError(
            f"Unknown service {name!r}.", hint=f"known services: {', '.join(DEFINITIONS)}."
        ) from None


def port_names(services: Iterable[str]) -> list[str]:
    """The names of every port a lab of ``services`` listens on: theirs and their links'."""
    return [port for name in services if name in DEFINITIONS for port in DEFINITIONS[name].ports]


def with_load() -> list[str]:
    """The services whose home has a locustfile: what a scenario's `load.locustfile` may name."""
    return sorted(d.name for d in _ALL if d.locustfile is not None)


def locustfile(service: str) -> Path:
    """The locustfile in ``service``'s home (a scenario's `load.locustfile`)."""
    path = definition(service).locustfile
    if path is None:
        raise UsageError(
            f"The service {service!r} has no locustfile.",
            hint=f"`load.locustfile` names a service with a locustfile.py: {', '.join(with_load())}.",
        )
    return path


__all__ = [
    "DEFINITIONS",
    "OFFSETS",
    "LabContext",
    "ScrapeJob",
    "ServiceDefinition",
    "definition",
    "locustfile",
    "port_names",
    "with_load",
]
