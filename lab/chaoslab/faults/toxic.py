"""Toxic fault: a Toxiproxy toxic on one of the lab's links (latency, timeout, bandwidth…)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chaoslab.calls import HTTP_TIMEOUT_S, QUOTED_CHARS, HttpAnswer, http, json_body
from chaoslab.errors import EnvironmentProblem, UsageError
from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess


class ToxiproxyApi:
    """The calls of Toxiproxy's HTTP API a toxic needs, each bounded by ``timeout_s``.

    toxiproxy-python sets no timeout on its requests (a hung Toxiproxy stalled an injection
    for ever) and keeps the server address on a class shared by every client, so the lab
    speaks the small HTTP API itself.
    """

    def __init__(self, url: str, timeout_s: float = HTTP_TIMEOUT_S):
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, **kwargs: Any) -> HttpAnswer:
        return http(method, f"{self.url}{path}", service="Toxiproxy", timeout_s=self.timeout_s, **kwargs)

    def proxy(self, name: str) -> dict[str, Any] | None:
        """The proxy (link) called ``name`` as the API describes it; None when there is none."""
        response = self._call("GET", f"/proxies/{name}")
        if response.status_code == 404:
            return None
        self._expect(response, 200)
        return json_body(response, service="Toxiproxy")

    def add_toxic(self, proxy: str, toxic: dict[str, Any]) -> None:
        """Add ``toxic`` (name, type, stream, toxicity, attributes) to the proxy ``proxy``."""
        response = self._call("POST", f"/proxies/{proxy}/toxics", json=toxic)
        if response.status_code == 409:
            raise UsageError(
                f"Link {proxy!r} already has a toxic named {toxic['name']!r}.",
                hint="a previous injection is still in place: `chaoslab stop` and start the lab again.",
            )
        if response.status_code == 400:
            raise UsageError(
                f"Toxiproxy refused the toxic {toxic}: {response.text.strip()[:QUOTED_CHARS]}",
                hint="check the toxic's type and attributes: https://github.com/Shopify/toxiproxy#toxics",
            )
        self._expect(response, 200)

    def remove_toxic(self, proxy: str, name: str) -> None:
        """Remove the toxic ``name`` from ``proxy``; one already gone is fine."""
        self._expect(self._call("DELETE", f"/proxies/{proxy}/toxics/{name}"), 204, 404)

    @staticmethod
    def _expect(response: HttpAnswer, *codes: int) -> None:
        if response.status_code not in codes:
            raise EnvironmentProblem(
                f"Toxiproxy answered {response.method} {response.url} with HTTP "
                f"{response.status_code}: {response.text.strip()[:QUOTED_CHARS]!r}.",
                hint="`chaoslab logs toxiproxy` says why.",
            )


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

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        api = ToxiproxyApi(lab.toxiproxy_url)
        if api.proxy(self.link) is None:
            raise UsageError(f"No Toxiproxy link named {self.link!r} in this lab.")
        name = f"chaoslab-{self.type}-{self.stream}"
        api.add_toxic(
            self.link,
            {
                "name": name,
                "type": self.type,
                "stream": self.stream,
                "toxicity": self.toxicity,
                "attributes": self.attributes,
            },
        )
        return {"toxic": name}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        ToxiproxyApi(lab.toxiproxy_url).remove_toxic(self.link, memento["toxic"])
