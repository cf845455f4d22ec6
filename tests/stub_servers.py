"""Misbehaving servers on 127.0.0.1 for tests of the lab's clients: one that hangs, one that answers junk."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def hung_server() -> Iterator[str]:
    """``host:port`` of a socket that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    host, port = listener.getsockname()
    try:
        yield f"{host}:{port}"
    finally:
        listener.close()


@contextmanager
def answering_server(status: int, body: str, content_type: str = "text/html") -> Iterator[str]:
    """``host:port`` of an HTTP server that answers every GET and POST with ``status`` and ``body``."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output to the test's own

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
