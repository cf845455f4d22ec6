"""The browser probe in a real Chromium, against a tiny page served here that keeps the page contract."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from chaoslab.errors import NotHealthy
from chaoslab.probes import browser
from chaoslab.probes.browser import BrowserProbe
from tests.conftest import free_port_base

pytestmark = pytest.mark.browser

# A feed of one post. "frozen" covers the page while sharing and removes the cover only in the
# success callback, like the shipped frontend; its share answers an HTML 500 after HANG_S.
PAGE = """<!doctype html><html><head><link rel="icon" href="data:,"></head><body>
<form id="login-form"><input id="username"><button id="login" type="submit">Log in</button></form>
<p id="share-status"></p><ul id="feed"></ul>
<div id="overlay" hidden style="position: fixed; inset: 0; z-index: 10; background: #0003"></div>
<script>
const MODE = "%s";
document.getElementById('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const post = document.createElement('li');
  post.className = 'post';
  post.innerHTML = '<button class="like">Like</button><span class="likes">0</span>'
    + (MODE === 'hidden' ? '' : '<button class="share">Share</button>');
  document.getElementById('feed').append(post);
  const likes = post.querySelector('.likes');
  post.querySelector('.like').onclick = () => { likes.textContent = String(Number(likes.textContent) + 1); };
  const share = post.querySelector('.share');
  if (share) share.onclick = () => {
    if (MODE === 'frozen') document.getElementById('overlay').hidden = false;
    const request = new XMLHttpRequest();
    request.open('POST', 'api/share');
    request.onload = () => {
      const result = JSON.parse(request.responseText);
      document.getElementById('overlay').hidden = true;
      document.getElementById('share-status').textContent = 'Shared! ' + result.id;
    };
    request.send('{}');
  };
});
</script></body></html>"""
HANG_S = 2.5


class Page(BaseHTTPRequestHandler):
    visits: ClassVar[Counter[str]] = Counter()

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: str, kind: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        mode = self.path.strip("/")
        Page.visits[mode] += 1
        self._send(200, PAGE % mode, "text/html")

    def do_POST(self) -> None:
        mode = self.path.split("/")[1]
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if mode == "frozen":
            time.sleep(HANG_S)
            self._send(500, "<!doctype html><title>500 Internal Server Error</title>", "text/html")
        elif mode == "endless":
            time.sleep(6)
            self._send(500, "<!doctype html>", "text/html")
        else:
            self._send(200, '{"id": "shr_1"}', "application/json")


class FakeLab:
    def __init__(self, base: str) -> None:
        self.base = base

    def service_url(self, service: str) -> str:
        return f"{self.base}/{service}/"


@pytest.fixture(scope="module")
def lab() -> Iterator[FakeLab]:
    port = free_port_base()
    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeLab(f"http://127.0.0.1:{port}")
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fresh_journeys() -> None:
    browser._recent.clear()


def measure(lab: FakeLab, page: str, output: str, **options) -> object:
    return BrowserProbe(service=page, output=output, other_wait_s=1, **options).measure(lab)  # type: ignore[arg-type]


def test_a_healthy_page_shares_at_once_and_one_visit_serves_every_output(lab: FakeLab) -> None:
    before = Page.visits["fast"]
    assert measure(lab, "fast", "share_pending_s") < 1
    assert measure(lab, "fast", "share_message") == "Shared! shr_1"
    assert measure(lab, "fast", "share_feedback") is True
    assert measure(lab, "fast", "other_button_responds") is True
    assert measure(lab, "fast", "console_errors") == 0
    assert measure(lab, "fast", "page_errors") == 0
    assert Page.visits["fast"] == before + 1


def test_a_frozen_page_shows_the_pending_share_the_error_and_the_dead_button(lab: FakeLab) -> None:
    assert HANG_S <= measure(lab, "frozen", "share_pending_s") < HANG_S + 1.5
    assert measure(lab, "frozen", "other_button_responds") is False
    assert measure(lab, "frozen", "share_feedback") is False
    assert measure(lab, "frozen", "page_errors") == 1  # JSON.parse of the HTML error page, uncaught
    assert measure(lab, "frozen", "console_errors") >= 1


def test_a_share_pending_past_the_timeout_reads_as_the_timeout(lab: FakeLab) -> None:
    started = time.monotonic()
    assert measure(lab, "endless", "share_pending_s", timeout_s=2) == 2
    assert measure(lab, "endless", "share_feedback", timeout_s=2) is False
    assert time.monotonic() - started < 15


def test_no_share_button_is_no_wait_and_a_usable_page(lab: FakeLab) -> None:
    assert measure(lab, "hidden", "share_pending_s") == 0
    assert measure(lab, "hidden", "share_feedback") is True
    assert measure(lab, "hidden", "other_button_responds") is True


def test_an_unreachable_page_is_one_clear_error() -> None:
    dead = FakeLab(f"http://127.0.0.1:{free_port_base()}")
    with pytest.raises(NotHealthy, match="Chromium could not walk the page"):
        measure(dead, "fast", "share_pending_s")
