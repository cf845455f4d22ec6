"""A private redis-server for integration tests that need a real Redis and nothing else of a lab."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from chaoslab.setup import find_binary
from chaoslab.waiting import wait_until


@contextmanager
def running_redis(port: int, directory: Path) -> Iterator[redis.Redis]:
    """redis-server on 127.0.0.1:``port``, memory only; a client to it, until the block ends."""
    server = subprocess.Popen(
        [find_binary("redis-server"), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(directory), "--protected-mode", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port, socket_timeout=5.0)
    try:
        wait_until(lambda: _answers(client), timeout_s=10, what=f"redis-server on port {port}")
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
