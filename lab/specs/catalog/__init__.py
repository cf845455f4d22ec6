"""The services a lab can run. One module per service, registered here."""

from __future__ import annotations

from lab.errors import UsageError
from lab.specs.catalog.base import LabContext, ServiceDefinition
from lab.specs.catalog.checkout import Checkout
from lab.specs.catalog.exporter import Exporter
from lab.specs.catalog.features import Features
from lab.specs.catalog.frontend import Frontend
from lab.specs.catalog.locust import Locust
from lab.specs.catalog.postgres import Postgres
from lab.specs.catalog.profile import Profile
from lab.specs.catalog.prometheus import Prometheus
from lab.specs.catalog.recommender import Recommender
from lab.specs.catalog.redis import Redis
from lab.specs.catalog.shop import Shop
from lab.specs.catalog.social import Social
from lab.specs.catalog.toxiproxy import Toxiproxy
from lab.specs.catalog.visitors import Visitors

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
