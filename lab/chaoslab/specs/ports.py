"""Which port each service and link gets: a fixed offset from the run's port base."""

from __future__ import annotations

import socket

from chaoslab.errors import EnvironmentProblem

DEFAULT_PORT_BASE = 15400

# Offsets from the base. Links (Toxiproxy listeners) sit at 20 and above.
OFFSETS: dict[str, int] = {
    "postgres": 0,
    "redis": 1,
    "toxiproxy": 2,
    "prometheus": 3,
    "shop": 10,
    "profile": 11,
    "frontend": 12,
    "social": 13,
    # The frontend's metrics listener: its own thread, so a starved request pool stays visible.
    "frontend-metrics": 14,
    "checkout": 15,
    "recommender": 16,
    "exporter": 17,
    # The exporter's metrics listener, and the port a misconfigured release puts it on.
    "exporter-metrics": 18,
    "exporter-metrics-alt": 19,
    "shop-postgres": 20,
    "shop-redis": 21,
    "profile-postgres": 22,
    "profile-redis": 23,
    "frontend-social": 24,
    "shop-checkout": 25,
    "shop-recommender": 26,
    "recommender-redis": 27,
    "checkout-postgres": 28,
}


class PortPlan:
    """Ports of one lab, derived from its base."""

    def __init__(self, base: int):
        self.base = base

    def __getitem__(self, name: str) -> int:
        return self.base + OFFSETS[name]

    def all(self) -> dict[str, int]:
        return {name: self[name] for name in OFFSETS}


def port_owner(port: int) -> str:
    """Who listens on ``port``, as "name (pid N)", when we can tell."""
    import psutil  # only when a port is taken: scenario files import this module for OFFSETS

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
