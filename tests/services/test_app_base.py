"""Unit tests for the base of the services' Flask apps: no server."""

import re
from pathlib import Path

from services.common.app_base import create_app


def test_the_app_serves_healthz_and_its_metrics():
    app, meter = create_app(__name__, "svc")
    meter.create_counter("svc.things").add(1)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    metrics = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'^svc_things_total\{otel_scope_name="svc"', metrics, re.M)


def test_healthz_names_the_release_and_asks_for_details_on_each_call():
    answers: list[dict[str, object]] = [{"model_version": "v1"}, {"model_version": "v2"}]
    app, _ = create_app(__name__, "svc", release="1.2.3", health_details=lambda: answers.pop(0))
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "release": "1.2.3", "model_version": "v1"}
    assert client.get("/healthz").get_json()["model_version"] == "v2"


def test_the_app_finds_its_files_beside_the_caller():
    app, _ = create_app("services.social.app", "social")
    assert Path(app.root_path) == Path(__file__).parents[2] / "services" / "social"
    assert app.jinja_env.loader and "status.html" in app.jinja_env.loader.list_templates()
