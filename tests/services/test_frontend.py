"""Unit tests for the web frontend and its good release: no server, socialshare stubbed."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from services.frontend import app as frontend
from tests import REPO_ROOT

FIX_PATCH = REPO_ROOT / "scenarios" / "third-party-hang" / "patches" / "frontend-resilient-share.patch"


class FakeResponse:
    def __init__(self, body: dict, status: int = 201) -> None:
        self.body, self.status_code = body, status

    def json(self) -> dict:
        return self.body


class FakeSocial:
    """Stands in for the requests session to socialshare: records calls, answers or raises."""

    def __init__(self, answer: FakeResponse | Exception) -> None:
        self.answer = answer
        self.calls: list[dict] = []

    def post(self, url: str, **kwargs) -> FakeResponse:
        self.calls.append({"url": url, **kwargs})
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(frontend, "flag_enabled", lambda name, default=False: default)
    return frontend.app.test_client()


def client_errors(client, kind: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    match = re.search(rf'^frontend_client_errors_total\{{kind="{kind}"[^}}]*\}} (\S+)$', text, re.M)
    assert match, "client errors counter not exported"
    return float(match.group(1))


def test_the_page_and_its_scripts_are_served(client):
    page = client.get("/").get_data(as_text=True)
    for element in ('id="username"', 'id="login"', 'id="feed"', 'id="share-status"'):
        assert element in page
    for script in ("errors.js", "share.js", "app.js"):
        assert client.get(f"/static/{script}").status_code == 200


def test_login_gives_a_stable_user_id(client):
    first = client.post("/api/login", json={"name": "ada"}).get_json()
    assert first == client.post("/api/login", json={"name": "ada"}).get_json()
    assert client.post("/api/login", json={"name": " "}).status_code == 400


def test_like_counts_up_without_the_third_party(client, monkeypatch):
    social = FakeSocial(requests.ConnectionError("down"))
    monkeypatch.setattr(frontend, "social", social)
    before = next(p["likes"] for p in client.get("/api/feed").get_json()["posts"] if p["id"] == 3)
    assert client.post("/api/posts/3/like").get_json() == {"id": 3, "likes": before + 1}
    assert client.post("/api/posts/999/like").status_code == 404
    assert social.calls == []


def test_share_goes_to_socialshare(client, monkeypatch):
    social = FakeSocial(FakeResponse({"share_id": "shr_1", "url": "https://socialshare.example/s/shr_1"}))
    monkeypatch.setattr(frontend, "social", social)
    response = client.post("/api/share", json={"post_id": 2})
    assert response.status_code == 200
    assert response.get_json()["share"]["id"] == "shr_1"
    assert social.calls[0]["url"] == f"{frontend.SOCIAL_URL}/share"
    # The shipped integration's flaw, which the scenario is about: no timeout at all.
    assert "timeout" not in social.calls[0]


def test_a_failing_third_party_is_an_unhandled_500(client, monkeypatch):
    monkeypatch.setattr(frontend, "social", FakeSocial(requests.ConnectionError("reset")))
    response = client.post("/api/share", json={"post_id": 2})
    assert response.status_code == 500
    assert response.mimetype == "text/html"  # what the page then fails to parse as JSON


def test_share_flag_off_hides_share_and_skips_the_call(client, monkeypatch):
    social = FakeSocial(requests.ConnectionError("down"))
    monkeypatch.setattr(frontend, "social", social)
    monkeypatch.setattr(frontend, "flag_enabled", lambda name, default=False: False)
    assert client.get("/api/config").get_json() == {"share": False}
    assert client.post("/api/share", json={"post_id": 2}).status_code == 404
    assert social.calls == []


def test_page_errors_are_counted_by_kind(client):
    before = client_errors(client, "unhandledrejection")
    response = client.post("/api/client-errors", json={"kind": "unhandledrejection", "message": "boom"})
    assert response.status_code == 204
    assert client_errors(client, "unhandledrejection") == before + 1
    other = client_errors(client, "error")
    client.post("/api/client-errors", json={"kind": "made-up", "message": "x"})
    assert client_errors(client, "error") == other + 1


def test_worker_threads_are_exported(client):
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(rf"^frontend_worker_threads\{{[^}}]*\}} {frontend.WORKER_THREADS}\.0$", text, re.M)


@pytest.fixture(scope="module")
def fixed_release(tmp_path_factory) -> Path:
    """A copy of the shipped services with the scenario's good release applied, as a deploy does."""
    root = tmp_path_factory.mktemp("release")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_ROOT / "services", root / "services", ignore=ignore)
    subprocess.run(["git", "apply", str(FIX_PATCH)], cwd=root, check=True, capture_output=True)
    return root


def test_good_release_fails_fast_then_opens_the_circuit(fixed_release):
    # The patched module shares its import name with the shipped one: judge it in its own process.
    script = textwrap.dedent(
        """
        import requests
        from services.frontend import app as frontend

        frontend.flag_enabled = lambda name, default=False: default
        calls = []

        def hung(url, **kwargs):
            calls.append(kwargs)
            raise requests.ReadTimeout("read timed out")

        frontend.social.post = hung
        client = frontend.app.test_client()
        answers = [client.post("/api/share", json={"post_id": 1}) for _ in range(5)]
        assert [a.status_code for a in answers] == [503] * 5, [a.status_code for a in answers]
        assert all("unavailable" in a.get_json()["error"] for a in answers)
        assert calls[0]["timeout"] == (1.0, 2.0)
        assert len(calls) == 3, len(calls)  # then the breaker is open: no more calls
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=fixed_release,
        env={**os.environ, "PYTHONPATH": str(fixed_release)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def test_good_release_page_aborts_after_5s_and_keeps_the_page_usable(fixed_release):
    static = fixed_release / "services" / "frontend" / "static"
    share_js = (static / "share.js").read_text()
    assert "AbortController" in share_js and "5000" in share_js
    app_js = (static / "app.js").read_text()
    assert "catch (error)" in app_js and "overlay" not in app_js
    assert 'id="overlay"' not in (static / "index.html").read_text()
