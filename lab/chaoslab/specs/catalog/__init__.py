"""The services a lab can run. One module per service, registered here."""

from __future__ import annotations

from chaoslab.errors import UsageError
from chaoslab.specs.catalog.base import LabContext, ServiceDefinition
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


def definition(name: str) -> ServiceDefinition:
    """The definition of service ``name``."""
    try:
        return DEFINITIONS[name]
    except KeyError:
        raise UsageError(
            f"Unknown service {name!r}.", hint=f"known services: {', '.join(DEFINITIONS)}."
        ) from None


__all__ = ["DEFINITIONS", "LabContext", "ServiceDefinition", "definition"]
