"""Trace trees from the SDK's exported JSON lines: grouping, nesting, summaries, lookups."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from rich.console import Console

from chaoslab.observability.traces import build_traces, find_traces, normalize_id, read_spans, render


def exporter_file(path: Path, service: str) -> TracerProvider:
    """A tracer provider writing spans exactly as services/common/telemetry.py does."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    exporter = ConsoleSpanExporter(
        out=path.open("a", encoding="utf-8"), formatter=lambda span: span.to_json(indent=None) + "\n"
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def profile_read(provider: TracerProvider, user: int, *, hit: bool) -> str:
    """Spans of one GET /profiles/<id>, as the profile service makes them; returns the trace id."""
    tracer = provider.get_tracer("test")
    route = {"http.route": "/profiles/<int:user_id>", "http.response.status_code": 200}
    with tracer.start_as_current_span("GET /profiles/<int:user_id>", kind=SpanKind.SERVER) as server:
        server.set_attributes({**route, "cache.hit": hit, "profile.version": 3})
        with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as get:
            get.set_attributes(
                {"db.system": "redis", "db.statement": "GET ?", "redis.key": f"user:profile:{user}"}
            )
        if not hit:
            with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as select:
                select.set_attributes({"db.system": "postgresql", "db.statement": "SELECT id FROM users"})
                select.set_status(Status(StatusCode.ERROR))
        return format(server.get_span_context().trace_id, "032x")


def text(renderable) -> str:
    console = Console(record=True, width=300)
    console.print(renderable)
    return console.export_text()


def test_a_trace_is_a_tree_with_its_summary(tmp_path: Path) -> None:
    provider = exporter_file(tmp_path / "profile.jsonl", "profile")
    hit = profile_read(provider, 7, hit=True)
    miss = profile_read(provider, 8, hit=False)
    traces = build_traces(read_spans([tmp_path / "profile.jsonl"]))
    assert [t.trace_id for t in traces] == [hit, miss]
    summary = traces[0].summary()
    assert summary.startswith("GET /profiles/<int:user_id> · ")
    assert summary.endswith(" ms · 2 spans · cache hit · no database span")
    assert "cache miss · 1 database span" in traces[1].summary()
    root = traces[1].roots[0]
    assert [c.name for c in root.children] == ["GET", "SELECT"]
    assert root.children[1].error and root.duration_ms >= root.children[1].duration_ms
    rendered = text(render(traces[0]))
    assert f"trace {hit}" in rendered
    assert "redis.key=user:profile:7" in rendered and "cache.hit=true" in rendered
    assert "postgresql" not in rendered


def test_recent_traces_of_one_service_oldest_first(tmp_path: Path) -> None:
    profile = exporter_file(tmp_path / "profile.jsonl", "profile")
    shop = exporter_file(tmp_path / "shop.jsonl", "shop")
    ids = [profile_read(profile, n, hit=n % 2 == 0) for n in range(5)]
    profile_read(shop, 1, hit=True)
    found = find_traces(tmp_path, service="profile", last=3)
    assert [t.trace_id for t in found] == ids[-3:]
    assert len(find_traces(tmp_path, last=100)) == 6
    assert find_traces(tmp_path, last=0) == []


def test_lookup_by_id_with_or_without_0x(tmp_path: Path) -> None:
    provider = exporter_file(tmp_path / "profile.jsonl", "profile")
    wanted = profile_read(provider, 7, hit=False)
    profile_read(provider, 8, hit=True)
    for given in (wanted, "0x" + wanted.upper()):
        [trace] = find_traces(tmp_path, trace_id=given)
        assert trace.trace_id == normalize_id(given) == wanted and len(trace.spans) == 3


def test_children_exported_before_their_parent_are_not_a_complete_trace(tmp_path: Path) -> None:
    path = tmp_path / "profile.jsonl"
    trace_id = profile_read(exporter_file(path, "profile"), 7, hit=True)
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n")  # the client span only: the server span is still in its batch
    assert find_traces(tmp_path) == []
    [partial] = find_traces(tmp_path, trace_id=trace_id)
    assert not partial.complete and "entry span not exported yet" in partial.summary()


def test_tail_reading_skips_the_line_cut_in_half_and_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "profile.jsonl"
    provider = exporter_file(path, "profile")
    for n in range(20):
        profile_read(provider, n, hit=True)
    with path.open("a") as out:
        out.write('{"name": "half a span')
    size = path.stat().st_size
    spans = read_spans([path], tail_bytes=size // 2)
    assert 0 < len(spans) < 40
    assert all(s.service == "profile" for s in spans)
