"""How every locustfile's load ends by itself: after CHAOSLAB_MAX_REQUESTS requests, at CHAOSLAB_LOAD_UNTIL.

A locustfile imports this module for its side effect (`from chaoslab.load import bounds  # noqa: F401`):
importing it registers both listeners on Locust's init event, so no load outlives its bounds.
"""

import itertools
import os
import time

import gevent
from locust import events
from locust.env import Environment

MAX_REQUESTS = int(os.environ.get("CHAOSLAB_MAX_REQUESTS", "0"))
# The end of the lab's session, epoch seconds (0: none): the load ends with the lab.
LOAD_UNTIL = float(os.environ.get("CHAOSLAB_LOAD_UNTIL", "0"))


@events.init.add_listener
def stop_after_max_requests(environment: Environment, **_) -> None:
    """With CHAOSLAB_MAX_REQUESTS > 0, quit the run once that many requests completed."""
    if MAX_REQUESTS <= 0:
        return
    completed = itertools.count(1)

    def count_request(**_) -> None:
        # Not from this user's greenlet: quit() kills every user, this one included.
        if next(completed) == MAX_REQUESTS and environment.runner is not None:
            gevent.spawn(environment.runner.quit)

    environment.events.request.add_listener(count_request)


@events.init.add_listener
def stop_at_session_end(environment: Environment, **_) -> None:
    """With CHAOSLAB_LOAD_UNTIL, quit the run at that moment."""
    if LOAD_UNTIL <= 0:
        return

    def quit_at_the_end() -> None:
        gevent.sleep(max(0.0, LOAD_UNTIL - time.time()))
        if environment.runner is not None:
            environment.runner.quit()

    gevent.spawn(quit_at_the_end)
