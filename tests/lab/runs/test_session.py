"""A session's length: parsing, bounds, extension, the last-minutes warning, and the load it bounds."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from chaoslab.errors import UsageError
from chaoslab.output import format_length
from chaoslab.runs import Run, Timeline, require_current_run
from chaoslab.runs.session import (
    DEFAULT_EXTENSION,
    DEFAULT_SESSION,
    SESSION_MAX_S,
    SESSION_MIN_S,
    WARNING_S,
    Session,
    parse_length,
    warning_line,
)
from chaoslab.specs.catalog import DEFINITIONS, LabContext
from chaoslab.specs.load import LoadPlan
from chaoslab.specs.ports import PortPlan


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("45m", 2700), ("2h", 7200), ("1h30m", 5400), (" 60M ", 3600), ("8h", SESSION_MAX_S)],
)
def test_lengths_people_write_are_read(text: str, seconds: int) -> None:
    assert parse_length(text) == seconds


@pytest.mark.parametrize("text", ["", "60", "m", "1.5h", "-5m", "5 m", "1d", "h1", "45m2h", "abc"])
def test_what_is_not_a_length_says_how_to_write_one(text: str) -> None:
    with pytest.raises(UsageError, match="not a length of time") as raised:
        parse_length(text)
    assert raised.value.hint and "45m" in raised.value.hint


@pytest.mark.parametrize("text", ["59s", "0s", "8h1s", "9h", "99999999h"])
def test_lengths_out_of_bounds_are_refused_with_the_bounds(text: str) -> None:
    with pytest.raises(UsageError, match="from 1m to 8h"):
        parse_length(text)


def test_the_defaults_are_within_the_bounds() -> None:
    assert SESSION_MIN_S <= parse_length(DEFAULT_SESSION) <= SESSION_MAX_S
    assert parse_length(DEFAULT_EXTENSION) == 1800


def test_the_cli_shows_the_default_it_gets() -> None:
    # The CLI spells the defaults itself so that --help imports no lab module.
    from chaoslab.cli.root import SESSION_DEFAULT
    from chaoslab.cli.session import EXTENSION_DEFAULT

    assert (SESSION_DEFAULT, EXTENSION_DEFAULT) == (DEFAULT_SESSION, DEFAULT_EXTENSION)


def test_lengths_read_for_people() -> None:
    assert [format_length(s) for s in (50, 60, 610, 3600, 3900, 8 * 3600)] == [
        "50s",
        "1m",
        "10m 10s",
        "1h",
        "1h 05m",
        "8h",
    ]


def test_extend_moves_the_end_and_stops_at_the_longest_session() -> None:
    session = Session(started_at=1000.0, ends_at=1000.0 + 3600)
    longer = session.extended(1800)
    assert (longer.started_at, longer.ends_at) == (1000.0, 1000.0 + 5400)
    assert longer.extended(SESSION_MAX_S - 5400).length_s == SESSION_MAX_S
    with pytest.raises(UsageError, match=r"at most 8h in all.*grow by 6h 30m more"):
        longer.extended(SESSION_MAX_S - 5400 + 1)


def test_the_warning_comes_in_the_last_minutes_only() -> None:
    session = Session(started_at=0.0, ends_at=3600.0)
    assert warning_line(session, now=3600.0 - WARNING_S - 1) is None
    line = warning_line(session, now=3600.0 - 130)
    assert line is not None and "ends in 2m 10s" in line and "chaoslab extend" in line
    assert "\n" not in line
    assert session.summary(now=3600.0 - 130) == {"started_at": 0.0, "ends_at": 3600.0, "left_s": 130}
    assert session.left_s(now=4000.0) == 0


def test_the_session_lives_in_the_run_state() -> None:
    run = Run.create(scenario="s", seed=1, variant="v", runtime="local", port_base=17400)
    assert run.read_state().session is None
    run.write_state(phase="incident")
    run.write_state(session=Session(started_at=1.0, ends_at=61.0))
    assert run.read_state().session == Session(started_at=1.0, ends_at=61.0)
    assert run.read_state().phase == "incident"


def _load_spec(session: Session | None):
    run = Run.create(scenario="s", seed=1, variant="v", runtime="local", port_base=17400)
    plan = LoadPlan(
        locustfile="shop", target="shop", users=3, spawn_rate=3, max_seconds=1800, max_requests=200000
    )
    ctx = LabContext(run=run, ports=PortPlan(17400), services=["shop"], seed=1, load=plan, session=session)
    return DEFINITIONS["locust"].spec(ctx)


def test_the_load_ends_with_the_session_not_after_its_own_half_hour() -> None:
    session = Session(started_at=1000.0, ends_at=1000.0 + 3600)
    spec = _load_spec(session)
    assert spec.env["CHAOSLAB_LOAD_UNTIL"] == "4600.000"
    assert spec.command[spec.command.index("--run-time") + 1] == "3600s"
    # The request cap keeps the plan's rate over the longer session, so it does not end the load first.
    assert spec.env["CHAOSLAB_MAX_REQUESTS"] == "400000"
    # `extend` changes the spec: the runtime restarts the load with its new end.
    assert _load_spec(session.extended(1800)) != spec


def test_a_load_without_a_session_keeps_the_plans_bounds() -> None:
    spec = _load_spec(None)
    assert "CHAOSLAB_LOAD_UNTIL" not in spec.env
    assert spec.command[spec.command.index("--run-time") + 1] == "1800s"
    assert spec.env["CHAOSLAB_MAX_REQUESTS"] == "200000"


def test_after_the_session_ended_no_lab_says_why(lab_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOSLAB_HOME", tempfile.mkdtemp(prefix="ended-", dir=lab_home))
    with pytest.raises(UsageError, match=r"^No lab is running\.\nHint: start one"):
        require_current_run()
    run = Run.create(scenario="missing-metrics", seed=1, variant="v", runtime="local", port_base=17400)
    Timeline(run.timeline_path).record("session_ended", ends_at=time.time(), length_s=3600)
    with pytest.raises(
        UsageError, match=rf"lab of run {run.id} took itself down at .*\(after 1h\)"
    ) as raised:
        require_current_run()
    assert "chaoslab start missing-metrics --for" in (raised.value.hint or "")
