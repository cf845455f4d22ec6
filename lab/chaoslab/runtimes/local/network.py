"""The local lab's private network: its own loopback, reached from the host only through its edge.

Every local user shares the host's loopback, and Toxiproxy's admin API has no login: anyone
who reaches its port can add a toxic to anyone's lab. So the supervisor moves the whole lab
into a network namespace of its own (in a user namespace of its own unless it is root, which
needs none) before it starts a service. Services reach each other and Toxiproxy's links on the
namespace's loopback as before, with no extra hop. The edge, a thread of the supervisor,
forwards each port people and the load use from the host's 127.0.0.1 into the namespace,
except Toxiproxy's admin port: that is offered as ``<run>/toxiproxy.sock``, mode 0600 in a 0700
folder, so only the lab's owner reaches it. Why this and not an authenticating proxy or an
iptables rule: docs/isolation.md.

The host-side listeners are made before entering the namespace (a socket belongs to the
namespace it was made in); the connections into the lab are made after.

Where the kernel allows no user namespace (some distributions turn them off), the lab runs on
the host's loopback as before and says so (``network_shared`` in the timeline, `chaoslab doctor`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from chaoslab.calls import unix_socket_address

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
# What `CHAOSLAB_PRIVATE_NETWORK=off` turns off (for a kernel whose namespaces misbehave).
SWITCH_ENV = "CHAOSLAB_PRIVATE_NETWORK"
# A forwarded chunk: large enough for a page of query results, small enough to stay in cache.
CHUNK = 64 * 1024


def enter_private_network() -> None:
    """Move this (single-threaded) process into a new network namespace with its loopback up.

    Raises ``OSError`` when the kernel refuses (no unprivileged user namespaces).
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")
    if flags & CLONE_NEWUSER:
        # Our own ids, mapped to themselves: files keep their owner, and PostgreSQL (which
        # refuses to run as root) still runs as us. Capabilities over the new namespaces last
        # until this process execs; its children get none.
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        current = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", current | IFF_UP))


def switched_off() -> str | None:
    """The reason when the person asked for the shared network (`CHAOSLAB_PRIVATE_NETWORK=off`)."""
    return f"{SWITCH_ENV}=off" if os.environ.get(SWITCH_ENV, "on") == "off" else None


def private_network_problem() -> str | None:
    """Why a lab on this machine could not have a network of its own, or None when it can."""
    if reason := switched_off():
        return reason
    argv = ["unshare", "--net", "true"] if os.geteuid() == 0 else ["unshare", "--user", "--net", "true"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`{' '.join(argv)}` could not run: {exc}"
    if done.returncode != 0:
        return f"the kernel refuses a new network namespace: {done.stderr.strip() or done.returncode}"
    return None


@dataclass
class EdgeListeners:
    """The host-side ends of the edge, made before the lab leaves the host's network."""

    tcp: dict[int, socket.socket]
    admin: socket.socket
    admin_port: int
    admin_path: Path
    skipped: dict[int, str]

    @classmethod
    def open(
        cls, ports: Iterable[int], required: set[int], admin_port: int, admin_path: Path
    ) -> EdgeListeners:
        """Listen on the host's 127.0.0.1 for each of ``ports`` and on ``admin_path`` for the admin API.

        A port in ``required`` that is taken raises ``OSError``; another is skipped and noted.
        """
        tcp: dict[int, socket.socket] = {}
        skipped: dict[int, str] = {}
        try:
            for port in ports:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind(("127.0.0.1", port))
                    sock.listen(512)
                except OSError as exc:
                    sock.close()
                    if port in required:
                        raise OSError(exc.errno, f"port {port} on 127.0.0.1: {exc.strerror}") from None
                    skipped[port] = exc.strerror or str(exc)
                    continue
                sock.setblocking(False)
                tcp[port] = sock
            admin = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            admin_path.unlink(missing_ok=True)
            previous = os.umask(0o177)  # 0600 from the first moment, not after a chmod
            try:
                with unix_socket_address(admin_path) as address:
                    admin.bind(address)
            finally:
                os.umask(previous)
            admin.listen(64)
            admin.setblocking(False)
        except BaseException:
            for sock in tcp.values():
                sock.close()
            raise
        return cls(tcp=tcp, admin=admin, admin_port=admin_port, admin_path=admin_path, skipped=skipped)

    def close(self) -> None:
        for sock in [*self.tcp.values(), self.admin]:
            sock.close()
        self.admin_path.unlink(missing_ok=True)


class Edge:
    """Forwards the host-side listeners into the lab's namespace, on a thread of its own.

    edge = Edge(listeners); edge.start()   # after enter_private_network()
    """

    def __init__(self, listeners: EdgeListeners):
        self.listeners = listeners
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="edge", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop forwarding and remove the admin socket (the supervisor's last step)."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)
        self.listeners.close()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        loop = self._loop
        for port, sock in self.listeners.tcp.items():
            loop.run_until_complete(asyncio.start_server(_forwarder(port), sock=sock))
        admin = self.listeners.admin
        loop.run_until_complete(asyncio.start_unix_server(_forwarder(self.listeners.admin_port), sock=admin))
        try:
            loop.run_forever()
        finally:
            loop.close()


def _forwarder(port: int) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A connection handler that joins the client to ``127.0.0.1:port`` inside the lab."""

    async def forward(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            lab_reader, lab_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            # Nothing listens inside (a service down or not started): the client sees the
            # connection closed, as from a server that went away.
            client_writer.close()
            return
        for writer in (client_writer, lab_writer):
            sock = writer.get_extra_info("socket")
            if sock is not None and sock.family != socket.AF_UNIX:
                # Small requests and replies (HTTP, the PostgreSQL protocol) must not wait for
                # Nagle's algorithm: it would add up to 40 ms to exactly what scenarios measure.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(_pump(client_reader, lab_writer), _pump(lab_reader, client_writer))
        for writer in (client_writer, lab_writer):
            writer.close()

    return forward


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream, then pass the end on (a half-close stays a half-close)."""
    try:
        while chunk := await reader.read(CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()
