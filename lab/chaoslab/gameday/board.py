"""The game-day scoreboard: live in the terminal, and written as Markdown, HTML, JSON and graphs.

Read from the game-day folder (gameday.json and each incident's run timeline) only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Group
from rich.table import Table as RichTable

from chaoslab.gameday.scoring import Score, score
from chaoslab.gameday.state import GameDayFolder, GameDayState, IncidentState
from chaoslab.reports.document import Block, Bullets, Heading, Image, Paragraph, Table, to_html, to_markdown
from chaoslab.reports.graphs import IncidentBar, gameday_scores_graph, gameday_times_graph
from chaoslab.reports.timings import Timings, compute_timings, format_duration
from chaoslab.runs import Timeline


@dataclass
class BoardRow:
    """One team's incident in one round, timed and scored."""

    round_number: int
    round_name: str
    incident: IncidentState
    limit_s: int
    timings: Timings
    score: Score

    @property
    def started(self) -> bool:
        return self.incident.run_id is not None


def board_rows(state: GameDayState) -> list[BoardRow]:
    """Every incident of every round, with timings from its run's timeline (empty before it starts)."""
    rows = []
    for round_ in state.rounds:
        for incident in round_.incidents:
            run = incident.run()
            timings = compute_timings(Timeline(run.timeline_path).events()) if run else Timings()
            points = score(timings, limit_s=round_.time_limit_s, hint_cost=round_.hint_cost)
            rows.append(BoardRow(round_.number, round_.name, incident, round_.time_limit_s, timings, points))
    return rows


def standings(state: GameDayState, rows: list[BoardRow]) -> list[tuple[str, int, int]]:
    """(team, points, incidents resolved), best first; ties go to the team that resolved more."""
    table = {team: [0, 0] for team in state.teams}
    for row in rows:
        table[row.incident.team][0] += row.score.total
        table[row.incident.team][1] += int(row.timings.verified)
    return sorted(((t, p, r) for t, (p, r) in table.items()), key=lambda x: (-x[1], -x[2], x[0]))


def _scenario(row: BoardRow) -> str:
    # The wheel's draw stays hidden until the round starts.
    return row.incident.scenario if row.started else "?"


def _cells(row: BoardRow) -> list[str]:
    t = row.timings
    return [
        row.round_name,
        row.incident.label,
        _scenario(row),
        row.incident.outcome,
        format_duration(t.time_to_ack),
        format_duration(t.ttm),
        format_duration(t.ttr),
        str(t.hints_used),
        "yes" if t.verified else "no",
        str(row.score.total) if row.started else "",
    ]


HEADER = ["round", "team", "scenario", "status", "TTD", "TTM", "TTR", "hints", "verified", "score"]


def live_board(state: GameDayState) -> Group:
    """The scoreboard as rich renderables, for `chaoslab gameday board`."""
    rows = board_rows(state)
    ranking = RichTable(title=f"game day {state.name} (seed {state.seed})", title_justify="left")
    for column in ("#", "team", "points", "resolved"):
        ranking.add_column(column, justify="right" if column != "team" else "left", overflow="fold")
    for place, (team, points, resolved) in enumerate(standings(state, rows), start=1):
        ranking.add_row(str(place), team, str(points), str(resolved))
    detail = RichTable(title="incidents", title_justify="left")
    for column in HEADER:
        detail.add_column(column, overflow="fold", no_wrap=column in ("team", "scenario"))
    colours = {"resolved": "green", "timed out": "red", "error": "red", "playing": "yellow"}
    for row in rows:
        cells = _cells(row)
        colour = colours.get(row.incident.outcome)
        cells[3] = f"[{colour}]{cells[3]}[/]" if colour else cells[3]
        detail.add_row(*cells)
    status = "finished" if state.finished else "running"
    if state.aborted:
        status = f"aborted: {state.aborted}"
    return Group(ranking, detail, f"status: {status}")


def write_board(folder: GameDayFolder) -> list[Path]:
    """Write board.md, board.html, board.json and graphs/ into the game-day folder."""
    state = folder.load()
    rows = board_rows(state)
    ranking = standings(state, rows)
    played = [r for r in rows if r.started]
    graphs_dir = folder.dir / "graphs"
    graphs_dir.mkdir(exist_ok=True)
    blocks: list[Block] = [
        Heading(1, f"Game day: {state.name}"),
        Paragraph(
            f"Seed {state.seed} · {len(state.rounds)} round(s) · teams: {', '.join(state.teams)} · "
            + ("finished" if state.finished else "in progress")
            + (f" · aborted: {state.aborted}" if state.aborted else "")
        ),
        Heading(2, "Standings"),
        Table(
            ["#", "team", "points", "incidents resolved"],
            [[str(i), t, str(p), str(r)] for i, (t, p, r) in enumerate(ranking, 1)],
        ),
        Heading(2, "Incidents"),
        Table([*HEADER, "post-mortem"], [[*_cells(r), _link(folder, r.incident)] for r in rows]),
        Paragraph(
            "TTD counts from the injection to the team's `chaoslab ack`; TTM to the first mitigation "
            "(declared or applied); TTR to the first verified recovery. Score: up to 20 for detecting, "
            "30 for mitigating and 25 for resolving, each falling linearly to 0 at the round's time limit, "
            "plus 25 for a verified recovery, minus the round's cost per hint (docs/gameday.md)."
        ),
    ]
    if played:
        rounds = [
            r.name for r in state.rounds if any(row.round_number == r.number and row.started for row in rows)
        ]
        scores = {
            team: [
                sum(r.score.total for r in played if r.incident.team == team and r.round_name == name)
                for name in rounds
            ]
            for team in state.teams
        }
        bars = [IncidentBar(f"{r.round_name} · {r.incident.label}", r.limit_s, r.timings) for r in played]
        paths = [
            gameday_scores_graph(scores, rounds, graphs_dir / "scores.png"),
            gameday_times_graph(bars, graphs_dir / "times.png"),
        ]
        blocks += [Heading(2, "Graphs"), *(Image(str(p.relative_to(folder.dir)), p.stem) for p in paths)]
    lessons = [f"{r.round_name} · {r.incident.label}: {note}" for r in played for note in _lessons(r)]
    if lessons:
        blocks += [Heading(2, "For the debrief"), Bullets(lessons)]
    (folder.dir / "board.md").write_text(to_markdown(blocks))
    (folder.dir / "board.html").write_text(
        to_html(blocks, title=f"Game day {state.name}", base_dir=folder.dir)
    )
    (folder.dir / "board.json").write_text(json.dumps(_as_json(state, rows, ranking), indent=2))
    return [folder.dir / name for name in ("board.md", "board.html", "board.json")]


def _link(folder: GameDayFolder, incident: IncidentState) -> str:
    if not incident.report:
        return ""
    return str(Path(incident.report).relative_to(folder.dir))


def _lessons(row: BoardRow) -> list[str]:
    t = row.timings
    notes = []
    if t.acked_at is None and row.incident.outcome != "error":
        notes.append("never acknowledged: who was watching the pager?")
    if t.hints_used:
        notes.append(f"{t.hints_used} hint(s) cost {row.score.hint_penalty:.0f} points")
    if row.incident.outcome == "timed out":
        notes.append(f"not recovered within {row.limit_s}s")
    if row.incident.error:
        notes.append(row.incident.error)
    return notes


def board_json(state: GameDayState) -> dict:
    """The board now, as `chaoslab gameday board --json` prints it: board.json's shape, plus the
    game day's status; a draw stays hidden (scenario null) until its round starts, as on screen."""
    rows = board_rows(state)
    document = _as_json(state, rows, standings(state, rows))
    for row, incident in zip(rows, document["incidents"], strict=True):
        if not row.started:
            incident["scenario"] = None
    document["status"] = "finished" if state.finished else "running"
    document["aborted"] = state.aborted
    return document


def _as_json(state: GameDayState, rows: list[BoardRow], ranking: list[tuple[str, int, int]]) -> dict:
    return {
        "name": state.name,
        "seed": state.seed,
        "finished": state.finished,
        "standings": [{"team": t, "points": p, "resolved": r} for t, p, r in ranking],
        "incidents": [
            {
                "round": r.round_number,
                "team": r.incident.team,
                "slot": r.incident.slot,
                "scenario": r.incident.scenario,
                "seed": r.incident.seed,
                "run_id": r.incident.run_id,
                "outcome": r.incident.outcome,
                "ttd_s": r.timings.time_to_ack,
                "ttm_s": r.timings.ttm,
                "ttr_s": r.timings.ttr,
                "hints": r.timings.hints_used,
                "verified": r.timings.verified,
                "score": r.score.total,
                "points": r.score.__dict__,
                "report": r.incident.report,
            }
            for r in rows
        ],
    }
