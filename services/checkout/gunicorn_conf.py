"""gunicorn settings of the checkout service: one worker, and its death is the service's death.

gunicorn's master quietly replaces a worker that dies, so a crash would never reach the
platform: no restart counted, no exit code, nothing for `chaoslab status` to show. The
checkout runs one worker per container instead, and a worker that dies while the master
is serving takes the master down with it, so the platform sees the crash and restarts it.
"""

from gunicorn.errors import HaltServer

# The exit status the service reports when its worker crashed (as a one-process container would).
WORKER_CRASH_STATUS = 1


def child_exit(server, worker) -> None:
    """A worker gone while the listeners are open crashed: halt, so the platform restarts us."""
    if server.LISTENERS:  # emptied first thing when the master itself shuts down
        raise HaltServer(f"worker (pid:{worker.pid}) crashed; one worker per container", WORKER_CRASH_STATUS)
