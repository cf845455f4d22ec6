"""The span exporter's file: capped at its size, whole lines only, and `chaoslab traces` reads both halves."""

from __future__ import annotations

import json
from pathlib import Path

from chaoslab.observability.traces import find_traces
from services.common.rotating_file import SizeCappedFile, older_half

KB = 1024


def span_line(number: int) -> str:
    trace = f"{number:032x}"
    span = {
        "name": f"GET /profile/{number}",
        "context": {"trace_id": f"0x{trace}", "span_id": f"0x{number:016x}"},
        "parent_id": None,
        "start_time": "2026-11-30T12:00:00.000000Z",
        "end_time": "2026-11-30T12:00:00.010000Z",
        "resource": {"attributes": {"service.name": "profile"}},
        "attributes": {"padding": "p" * 300},
        "status": {"status_code": "UNSET"},
    }
    return json.dumps(span) + "\n"


def test_the_writer_keeps_at_most_its_cap_in_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "profile.jsonl"
    cap = 64 * KB
    out = SizeCappedFile(path, cap)
    for number in range(2000):
        out.write(span_line(number))
        out.flush()
    out.close()
    older = older_half(path)
    assert older.name == "profile.1.jsonl"
    assert path.stat().st_size <= cap // 2 and older.stat().st_size <= cap // 2
    lines = older.read_text().splitlines() + path.read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # no line cut in two
    assert json.loads(lines[-1])["name"] == "GET /profile/1999"


def test_traces_are_found_in_the_older_half_too(tmp_path: Path) -> None:
    path = tmp_path / "profile.jsonl"
    out = SizeCappedFile(path, 8 * KB)
    for number in range(1, 30):
        out.write(span_line(number))
    out.close()
    first_kept = json.loads(older_half(path).read_text().splitlines()[0])["context"]["trace_id"]
    found = find_traces(tmp_path, trace_id=first_kept)
    assert [t.trace_id for t in found] == [first_kept.removeprefix("0x")]
    assert find_traces(tmp_path, last=3)[-1].trace_id == f"{29:032x}"


def test_a_restarted_service_continues_its_file(tmp_path: Path) -> None:
    path = tmp_path / "checkout.jsonl"
    path.write_text(span_line(1) * 10)
    out = SizeCappedFile(path, 4 * KB)
    out.write(span_line(2))
    out.close()
    # The file was already past half the cap: the first write rolled it over.
    assert older_half(path).read_text() == span_line(1) * 10
    assert path.read_text() == span_line(2)
