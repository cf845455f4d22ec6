"""Toxic fault: a Toxiproxy toxic on one of the lab's links (latency, timeout, bandwidth…)."""

from __future__ import annotations

from typing import Any, Literal

import requests
from pydantic import Field
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer

from lab.errors import UsageError
from lab.faults.base import Fault, LabAccess


class ToxicFault(Fault):
    """Add a toxic to a link through the real Toxiproxy API."""

    kind: Literal["toxic"] = "toxic"
    link: str
    type: Literal["latency", "timeout", "bandwidth", "slow_close", "slicer", "limit_data", "reset_peer"]
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: float = 1.0
    attributes: dict[str, int] = Field(default_factory=dict)

    def describe(self) -> str:
        attrs = ", ".join(f"{k}={v}" for k, v in self.attributes.items())
        return f"toxic {self.type} on link {self.link} ({attrs})"

    def _client(self, lab: LabAccess) -> Toxiproxy:
        host, port = lab.toxiproxy_url.removeprefix("http://").rsplit(":", 1)
        # toxiproxy-python keeps its server address on a class, not per client.
        APIConsumer.host, APIConsumer.port = host, int(port)
        return Toxiproxy()

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        proxy = self._client(lab).get_proxy(self.link)
        if proxy is None:
            raise UsageError(f"No Toxiproxy link named {self.link!r} in this lab.")
        name = f"chaoslab-{self.type}-{self.stream}"
        proxy.add_toxic(
            name=name,
            type=self.type,
            stream=self.stream,
            toxicity=self.toxicity,
            attributes=self.attributes,
        )
        return {"toxic": name}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        # toxiproxy-python has no single-toxic delete that tolerates a missing toxic.
        response = requests.delete(
            f"{lab.toxiproxy_url}/proxies/{self.link}/toxics/{memento['toxic']}", timeout=5
        )
        if response.status_code not in (204, 404):
            response.raise_for_status()
