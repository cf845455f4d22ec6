"""Unit tests for the fake third-party social API: no server, flags stubbed."""

import pytest

from services.social import app as social


@pytest.fixture
def client():
    return social.app.test_client()


@pytest.fixture
def incident(monkeypatch):
    """Turn socialshare's own incident on or off."""

    def set_(on: bool) -> None:
        monkeypatch.setattr(social, "flag_enabled", lambda name, default=False: on)

    return set_


def test_share_returns_an_id_and_a_public_url(client, incident):
    incident(False)
    response = client.post("/share", json={"url": "https://chaos-shop.example/deals/1", "text": "hi"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["share_id"].startswith("shr_")
    assert body["url"].endswith(body["share_id"])


def test_share_without_url_is_refused(client, incident):
    incident(False)
    assert client.post("/share", json={"text": "no url"}).status_code == 400


def test_share_is_refused_during_the_incident(client, incident):
    incident(True)
    response = client.post("/share", json={"url": "https://chaos-shop.example/deals/1"})
    assert response.status_code == 503
    assert response.get_json()["status_page"] == "/status"


@pytest.mark.parametrize("on", [False, True])
def test_status_page_reports_the_incident_as_json(client, incident, on):
    incident(on)
    body = client.get("/status?format=json").get_json()
    assert body["status"] == ("Sharing API degraded" if on else "All systems operational")
    assert body["components"]["Share API"] == ("degraded_performance" if on else "operational")
    assert len(body["incidents"]) == int(on)
    asked = client.get("/status", headers={"Accept": "application/json"}).get_json()
    assert asked["status"] == body["status"]


def test_status_page_for_people_is_html(client, incident):
    incident(True)
    response = client.get("/status", headers={"Accept": "text/html"})
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Sharing API degraded" in page and "investigating" in page
