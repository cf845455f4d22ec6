"""The post-mortem draft and the game-day board, from hand-made run folders (no servers)."""

from __future__ import annotations

import base64
import json
import re
import time
from io import BytesIO
from pathlib import Path

from PIL import Image

from chaoslab.gameday.board import board_rows, live_board, standings, write_board
from chaoslab.gameday.plan import load_plan, schedule
from chaoslab.gameday.state import GameDayFolder
from chaoslab.reports.postmortem import write_postmortem
from chaoslab.runs import Run

SCENARIO = "db-pool-exhaustion"


def fake_run(home: Path, *, ack: bool = True, resolve: bool = True, hints: int = 0) -> Run:
    """A finished run folder as `chaoslab stop` leaves it: timeline and exported metrics."""
    run = Run.create(scenario=SCENARIO, seed=1, variant="feature-launch", runtime="local", port_base=1)
    t0 = time.time() - 600
    events = [
        (-40, "lab_starting", {"scenario": SCENARIO, "seed": 1, "variant": "feature-launch"}),
        (-36, "lab_up", {"after_s": 3.1}),
        (-36, "load_started", {"users": 30}),
        (-35, "service_started", {"service": "shop"}),
        (0, "fault_injected", {"kind": "flag", "what": "feature flag 'browse-by-category' on"}),
        (9, "alert_fired", {"alert": "APIServiceP99Latency", "source": "prometheus"}),
        (25, "fix_applied", {"kind": "sql", "what": "SQL: CREATE INDEX …"}),
        (48, "alert_resolved", {"alert": "APIServiceP99Latency", "source": "prometheus"}),
        (70, "lab_down", {}),
    ]
    if ack:
        events.append((12, "ack", {"note": "p99 is on fire", "by": "learner"}))
    events += [(5 + i, "hint_shown", {"number": i + 1, "by": "schedule"}) for i in range(hints)]
    if resolve:
        events.append((52, "verified", {"ok": True, "by": "learner"}))
    with run.timeline_path.open("w") as out:
        for offset, name, fields in events:
            out.write(json.dumps({"ts": t0 + offset, "event": name, **fields}) + "\n")
    steps = [t0 - 30 + 2 * i for i in range(50)]
    latency = [(ts, 0.03 if ts < t0 or ts > t0 + 45 else 2.5) for ts in steps]
    pool = [(ts, 0.1 if ts < t0 or ts > t0 + 40 else 1.0) for ts in steps]
    run.metrics_path.write_text(
        json.dumps(
            {
                "step_s": 2,
                "start": t0 - 40,
                "end": t0 + 69,
                "series": [
                    {
                        "probe": "p99_latency",
                        "description": "shop API P99 latency",
                        "unit": "s",
                        "query": "shop:http_p99_seconds",
                        "points": latency,
                    },
                    {
                        "probe": "pool_usage",
                        "description": "pool in use",
                        "unit": "ratio",
                        "query": "x",
                        "points": pool,
                    },
                ],
                "alerts": {"APIServiceP99Latency": [[t0 + 9, t0 + 48]]},
            }
        )
    )
    return run


def test_the_post_mortem_has_the_chapters_sections_times_and_graphs(lab_home: Path) -> None:
    run = fake_run(lab_home)
    files = write_postmortem(run)
    text = files.markdown.read_text()
    for section in (
        "## Summary",
        "## Impact",
        "## Detection, response and resolution",
        "## Timeline",
        "## Root cause",
        "## Contributing factors",
        "## Action items",
        "## What went well",
        "## What went badly",
        "## Graphs",
    ):
        assert section in text, section
    assert "detected after **12 s** (acknowledged by the team)" in text
    assert "mitigated after **25 s**" in text and "verified, after **52 s**" in text
    assert "| detected (TTD) |" in text and "| +0:12 | team acknowledged the incident" in text
    assert "“p99 is on fire”" in text
    assert "The first alert fired 9 s after the change." in text
    assert "unoptimized" in text and "pgbouncer" in text  # the scenario's post-mortem material
    assert "service_started" not in text  # supervisor chatter stays out
    assert "| shop API P99 latency | 30 ms | 2500 ms |" in text
    assert {p.name for p in files.graphs} == {"p99_latency.png", "pool_usage.png", "alerts.png"}
    for graph in files.graphs:
        with Image.open(graph) as image:
            assert image.format == "PNG" and image.size[0] > 600
    page = files.html.read_text()
    inlined = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(inlined) == 3
    with Image.open(BytesIO(base64.b64decode(inlined[0]))) as image:
        image.verify()
    assert "<h2>Timeline</h2>" in page and "<code>chaoslab ack</code>" in page


def test_an_unresolved_unacknowledged_run_says_so(lab_home: Path) -> None:
    text = write_postmortem(fake_run(lab_home, ack=False, resolve=False, hints=2)).markdown.read_text()
    assert "detected after **9 s** (by the first alert)" in text
    assert "**not** verified resolved" in text
    assert "Nobody declared the incident" in text
    assert "2 hint(s) were needed (2 released by the schedule)" in text


def two_team_gameday(home: Path, folder_dir: Path, *, done: bool) -> GameDayFolder:
    """A game day of two teams whose first round has runs: red resolved, blue not."""
    plan_file = folder_dir.parent / "plan.yaml"
    plan_file.write_text(
        "name: drill\nteams: [red, blue]\ntime_limit_s: 120\n"
        "rounds:\n  - incidents: [{scenario: db-pool-exhaustion, seed: 1}]\n"
        "  - incidents: [{scenario: db-pool-exhaustion}]\n"
    )
    plan = load_plan(plan_file)
    folder = GameDayFolder(folder_dir)
    folder.dir.mkdir()
    state = folder.new_state(plan, schedule(plan), 0, 23000)
    red, blue = state.rounds[0].incidents
    for incident, run in (
        (red, fake_run(home)),
        (blue, fake_run(home, ack=False, resolve=False, hints=1)),
    ):
        incident.home, incident.run_id = str(home), run.id
        if done:
            incident.outcome = "resolved" if incident is red else "timed out"
    if done:
        state.rounds[0].status = "done"
    folder.save(state)
    return folder


def test_the_board_ranks_teams_and_writes_its_files(lab_home: Path, tmp_path: Path) -> None:
    folder = two_team_gameday(lab_home, tmp_path / "gd", done=True)

    rows = board_rows(folder.load())
    assert [r.score.total for r in rows[:2]] == [
        round(20 * (1 - 12 / 120) + 30 * (1 - 25 / 120) + 25 * (1 - 52 / 120) + 25),
        round(30 * (1 - 25 / 120) - 5),
    ]
    assert standings(folder.load(), rows)[0][0] == "red"
    write_board(folder)
    board = json.loads((folder.dir / "board.json").read_text())
    assert [s["team"] for s in board["standings"]] == ["red", "blue"]
    assert board["incidents"][1]["hints"] == 1 and board["incidents"][1]["ttd_s"] is None
    markdown = (folder.dir / "board.md").read_text()
    assert "| 1 | red |" in markdown and "| ? |" in markdown  # round 2's draw stays hidden
    for graph in ("scores.png", "times.png"):
        with Image.open(folder.dir / "graphs" / graph) as image:
            assert image.format == "PNG"
    assert "base64," in (folder.dir / "board.html").read_text()
    assert live_board(folder.load()) is not None
