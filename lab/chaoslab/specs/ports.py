"""Which port each service and link gets: a fixed offset (declared in its home) from the run's port base."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator, Mapping

from chaoslab.errors import EnvironmentProblem
from chaoslab.specs.catalog import OFFSETS, port_names

DEFAULT_PORT_BASE = 15400


class PortPlan(Mapping[str, int]):
    """Ports of one lab, derived from its base: ``PortPlan(15400)["shop"]`` is 15410."""

    def __init__(self, base: int):
        self.base = base

    def __getitem__(self, name: str) -> int:
        return self.base + OFFSETS[name]

    def __iter__(self) -> Iterator[str]:
        return iter(OFFSETS)

    def __len__(self) -> int:
        return len(OFFSETS)

    def all(self) -> dict[str, int]:
        return {name: self[name] for name in OFFSETS}

    def of(self, services: Iterable[str]) -> dict[str, int]:
        """The ports a lab of ``services`` listens on (theirs and their links'), by name."""
        return {name: self[name] for name in port_names(services)}


def port_owner(port: int) -> str:
    """Who listens on ``port``, as "name (pid N)", when we can tell."""
    import psutil  # only when a port is taken: the lab imports this module at every start

    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
                if conn.pid:
                    return f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
                return "another process"
    except psutil.Error:
        pass
    return "another process"


def ensure_free(ports: dict[str, int]) -> None:
    """Refuse to start when a port the lab needs is taken."""
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                raise EnvironmentProblem(
                    f"Port {port} on 127.0.0.1, needed by {name}, is in use by {port_owner(port)}.",
                    hint="stop that program, or start the lab on other ports with "
                    "`--port-base N` (the lab uses N to N+30).",
                ) from None
