"""Browser probe: a person's visit of the frontend's page, in a real Chromium driven by Playwright.

The journey logs in, waits for the feed, clicks Share on the first post and,
half a second later, clicks that post's Like button where a person would (a
mouse click at its place, so whatever covers the page takes it). It records how
long the share request stayed pending, what the page then said, whether Like
still answered, and the console's errors. Each probe returns one of these
measures (``output``); one journey serves every output measured within
``max_age_s``, so a scenario's checks cost one visit, not one each.

The page contract: ``#username`` and ``#login``; posts as ``#feed li.post``, each
with ``button.like``, ``.likes`` (its count) and, while sharing is on,
``button.share``; the share's outcome in ``#share-status``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from chaoslab.errors import NotHealthy
from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value
from chaoslab.setup import find_binary

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Playwright, Request, Response

# Debian's Chromium, as root, with nothing that talks to the outside world.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_TIMEOUT_S = 20.0
# After the share settles, the page's handlers run and their errors reach the console.
SETTLE_GRACE_S = 1.0
OTHER_CLICK_AFTER_S = 0.5
POLL_MS = 100
ERROR_REPORTS = "/api/client-errors"


@dataclass
class Journey:
    """What one visit of the page showed."""

    share_button: bool = False
    share_pending_s: float = 0.0
    share_settled: bool = False
    share_http_status: int | None = None
    share_message: str = ""
    other_button_responds: bool = False
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def share_feedback(self) -> bool:
        """The user learnt what became of their Share: a message once it settled, or no button at all."""
        return not self.share_button or (self.share_settled and bool(self.share_message))

    def summary(self) -> dict[str, object]:
        """The journey as one JSON-able record (the visitors' log lines)."""
        return {
            "share_button": self.share_button,
            "share_pending_s": round(self.share_pending_s, 2),
            "share_http_status": self.share_http_status,
            "share_message": self.share_message,
            "other_button_responds": self.other_button_responds,
            "console_errors": self.console_errors,
            "page_errors": self.page_errors,
        }


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium (never a downloaded browser), headless, with a fresh profile."""
    return playwright.chromium.launch(
        executable_path=find_binary("chromium"), args=CHROMIUM_ARGS, timeout=60_000
    )


def visit(
    browser: Browser, url: str, *, user: str, share_timeout_s: float, other_wait_s: float, linger_s: float = 0
) -> Journey:
    """Walk the page once in a fresh browser context; see the module docstring for the steps.

    Afterwards, stay up to ``linger_s`` until the page's error reports are delivered: a starved
    frontend takes them late, and closing the page would lose them.
    """
    journey = Journey()
    settled: list[float] = []
    reports: set[Request] = set()

    def report_sent(request: Request) -> None:
        if request.url.endswith(ERROR_REPORTS):
            reports.add(request)

    def share_done(request: Request) -> None:
        reports.discard(request)
        if request.url.endswith("/api/share") and not settled:
            settled.append(time.monotonic())

    def share_answered(response: Response) -> None:
        if response.url.endswith("/api/share"):
            journey.share_http_status = response.status

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            journey.console_errors.append(message.text)

    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_S * 1000)
        page.on("console", console)
        page.on("pageerror", lambda error: journey.page_errors.append(str(error)))
        page.on("response", share_answered)
        page.on("request", report_sent)
        page.on("requestfinished", share_done)
        page.on("requestfailed", share_done)
        page.goto(url)
        page.fill("#username", user)
        page.click("#login")
        post = page.locator("#feed li.post").first
        post.wait_for()
        likes = post.locator(".likes")
        likes_before = likes.inner_text()
        share = post.locator("button.share")
        journey.share_button = share.count() > 0 and share.is_visible()
        started = time.monotonic()
        if journey.share_button:
            share.click()
            page.wait_for_timeout(OTHER_CLICK_AFTER_S * 1000)
        # Where Like is now (a message may have moved it), clicked as a mouse would.
        like_box = post.locator("button.like").bounding_box()
        if like_box:
            page.mouse.click(like_box["x"] + like_box["width"] / 2, like_box["y"] + like_box["height"] / 2)
            deadline = time.monotonic() + other_wait_s
            while likes.inner_text() == likes_before and time.monotonic() < deadline:
                page.wait_for_timeout(POLL_MS)
            journey.other_button_responds = likes.inner_text() != likes_before
        if journey.share_button:
            while not settled and time.monotonic() < started + share_timeout_s:
                page.wait_for_timeout(POLL_MS)
            journey.share_settled = bool(settled)
            ended = settled[0] if settled else time.monotonic()
            journey.share_pending_s = min(ended - started, share_timeout_s)
            page.wait_for_timeout(SETTLE_GRACE_S * 1000)
            journey.share_message = page.locator("#share-status").inner_text().strip()
        lingering = time.monotonic() + linger_s
        while reports and time.monotonic() < lingering:
            page.wait_for_timeout(POLL_MS)
    finally:
        context.close()
    return journey


def run_journey(url: str, *, share_timeout_s: float, other_wait_s: float) -> Journey:
    """One visit in a browser launched for it (and closed after, whatever happens)."""
    from chaoslab.setup.extras import import_extra

    import_extra("playwright.sync_api", extra="browser", needed_by="The browser probe")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            return visit(
                browser, url, user="probe", share_timeout_s=share_timeout_s, other_wait_s=other_wait_s
            )
        except PlaywrightError as exc:
            raise NotHealthy(
                f"Chromium could not walk the page at {url}: {str(exc).splitlines()[0]}",
                hint="is the frontend answering? `chaoslab status`, `chaoslab logs frontend`.",
            ) from None
        finally:
            browser.close()


_recent: dict[tuple[str, float, float], tuple[float, Journey | NotHealthy]] = {}


class BrowserProbe(Probe):
    """One measure of a visit of ``service``'s page in Chromium (see the module docstring)."""

    kind: Literal["browser"] = "browser"
    service: str = "frontend"
    output: Literal[
        "share_pending_s",
        "share_message",
        "share_feedback",
        "other_button_responds",
        "console_errors",
        "page_errors",
    ]
    # How long the journey waits for a pending share before it stops waiting (the value's cap).
    timeout_s: float = Field(default=50.0, gt=0, le=120)
    # How long Like may take to answer before it counts as unresponsive.
    other_wait_s: float = Field(default=5.0, gt=0, le=30)
    max_age_s: float = Field(default=5.0, ge=0, le=60)

    def measure(self, lab: LabAccess) -> Value:
        key = (lab.service_url(self.service), self.timeout_s, self.other_wait_s)
        at, seen = _recent.get(key, (0.0, None))
        if seen is None or time.monotonic() - at > self.max_age_s:
            try:
                seen = run_journey(key[0], share_timeout_s=self.timeout_s, other_wait_s=self.other_wait_s)
            except NotHealthy as exc:
                seen = exc
            _recent[key] = (time.monotonic(), seen)
        if isinstance(seen, NotHealthy):
            raise seen
        if self.output in ("console_errors", "page_errors"):
            return float(len(getattr(seen, self.output)))
        return getattr(seen, self.output)
