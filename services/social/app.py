"""socialshare.example, faked: a third-party sharing API and its public status page.

It stands for somebody else's service, so the lab does not scrape it. Its own
incident is the `social-incident` flag: while it is on, the Share API refuses
shares and the status page says so, as a real vendor's would.
"""

import logging
import secrets
from datetime import UTC, datetime

import flask

from services.common.app_base import create_app
from services.common.flags import flag_enabled

INCIDENT_FLAG = "social-incident"
INCIDENT_TITLE = "Sharing API degraded"
INCIDENT_UPDATE = (
    "We are investigating elevated latency and timeouts on the Share API. "
    "Requests to POST /share may hang or fail. Widgets and profiles are not affected."
)

log = logging.getLogger("social")
app, _ = create_app(__name__, "social")  # templates/ holds the status page


@app.post("/share")
def share() -> tuple[dict, int]:
    """Publish a share of `url`; refused with 503 while the vendor's incident is on."""
    body = flask.request.get_json(silent=True) or {}
    url = body.get("url")
    if not isinstance(url, str) or not url:
        return {"error": "expected JSON {url: str, text: str}"}, 400
    if flag_enabled(INCIDENT_FLAG):
        log.warning("share refused: incident in progress", extra={"url": url})
        return {"error": INCIDENT_TITLE, "status_page": "/status"}, 503
    share_id = f"shr_{secrets.token_hex(6)}"
    log.info("shared", extra={"share_id": share_id, "url": url})
    return {"share_id": share_id, "url": f"https://socialshare.example/s/{share_id}"}, 201


def status_summary() -> dict:
    """The status page's content, in the shape public status pages publish as JSON."""
    incident = flag_enabled(INCIDENT_FLAG)
    return {
        "page": "socialshare.example",
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "indicator": "major" if incident else "none",
        "status": INCIDENT_TITLE if incident else "All systems operational",
        "components": {
            "Share API": "degraded_performance" if incident else "operational",
            "Widgets": "operational",
            "Profiles": "operational",
        },
        "incidents": (
            [{"title": INCIDENT_TITLE, "status": "investigating", "update": INCIDENT_UPDATE}]
            if incident
            else []
        ),
    }


@app.get("/status")
def status() -> flask.Response | dict:
    """The public status page: HTML for people, JSON with ?format=json or Accept: application/json."""
    summary = status_summary()
    best = flask.request.accept_mimetypes.best_match(["text/html", "application/json"])
    if flask.request.args.get("format") == "json" or best == "application/json":
        return summary
    return flask.Response(flask.render_template("status.html", **summary), mimetype="text/html")
