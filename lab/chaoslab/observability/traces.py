"""The spans the services export (run/traces/*.jsonl), grouped into trace trees for `chaoslab traces`.

Each line is one span as the OpenTelemetry SDK's ConsoleSpanExporter writes it
(``ReadableSpan.to_json``). Files grow with the load, so recent traces are read
from the tail of each file; a trace looked up by id is searched in whole files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from rich.tree import Tree

TAIL_BYTES = 8 * 2**20
# The store behind the cache: a trace without such a span never reached the database.
DATABASE_SYSTEMS = {"postgresql"}
KEY_ATTRIBUTES = (
    "http.request.method",
    "http.route",
    "url.path",
    "http.response.status_code",
    "cache.hit",
    "profile.version",
    "db.system",
    "db.statement",
    "redis.key",
    "error.type",
)
STATEMENT_CHARS = 160


def normalize_id(trace_id: str) -> str:
    """A trace id as 32 lowercase hex digits, whether given with 0x or not."""
    return trace_id.lower().removeprefix("0x")


@dataclass
class Span:
    """One span of a trace, with its children once the tree is built."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start: datetime
    end: datetime
    attributes: dict[str, Any]
    error: bool = False
    children: list[Span] = field(default_factory=list)

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> Span:
        """A span from one exported JSON line."""
        parent = entry.get("parent_id")
        return cls(
            trace_id=normalize_id(entry["context"]["trace_id"]),
            span_id=normalize_id(entry["context"]["span_id"]),
            parent_id=normalize_id(parent) if parent else None,
            name=entry["name"],
            service=entry.get("resource", {}).get("attributes", {}).get("service.name", "?"),
            start=datetime.fromisoformat(entry["start_time"]),
            end=datetime.fromisoformat(entry["end_time"]),
            attributes=entry.get("attributes") or {},
            error=entry.get("status", {}).get("status_code") == "ERROR",
        )

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start).total_seconds() * 1000

    def walk(self) -> Iterator[Span]:
        """This span and every span below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Trace:
    """The spans of one trace id, as trees (one root when the whole trace was exported)."""

    trace_id: str
    roots: list[Span]

    @property
    def spans(self) -> list[Span]:
        return [s for root in self.roots for s in root.walk()]

    @property
    def start(self) -> datetime:
        return min(root.start for root in self.roots)

    @property
    def complete(self) -> bool:
        """Whether the entry span is there (children are exported before their parent)."""
        return any(root.parent_id is None for root in self.roots)

    @property
    def services(self) -> set[str]:
        return {s.service for s in self.spans}

    def summary(self) -> str:
        """One line: what the request was, how long it took, and whether the database was hit."""
        root = self.roots[0]
        parts = [root.name, f"{root.duration_ms:.1f} ms", f"{len(self.spans)} spans"]
        hits = [s.attributes["cache.hit"] for s in self.spans if "cache.hit" in s.attributes]
        if hits:
            parts.append("cache hit" if all(hits) else "cache miss")
        database = sum(1 for s in self.spans if s.attributes.get("db.system") in DATABASE_SYSTEMS)
        parts.append(
            f"{database} database span{'s' if database > 1 else ''}" if database else "no database span"
        )
        if not self.complete:
            parts.append("entry span not exported yet")
        return " · ".join(parts)


def _tail_lines(path: Path, tail_bytes: int) -> list[bytes]:
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - tail_bytes))
        lines = handle.read().split(b"\n")
    return lines if size <= tail_bytes else lines[1:]  # the first line is cut in the middle


def read_spans(
    paths: Iterable[Path], *, trace_id: str | None = None, tail_bytes: int = TAIL_BYTES
) -> list[Span]:
    """Spans from exported JSON-lines files: those of ``trace_id`` (whole files) or the recent ones."""
    wanted = normalize_id(trace_id).encode() if trace_id else None
    spans = []
    for path in paths:
        if wanted:
            with path.open("rb") as handle:
                lines: Iterable[bytes] = [line for line in handle if wanted in line]
        else:
            lines = _tail_lines(path, tail_bytes)
        for line in lines:
            try:
                span = Span.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError):
                continue  # a line still being written, or not a span
            if wanted is None or span.trace_id == wanted.decode():
                spans.append(span)
    return spans


def build_traces(spans: Iterable[Span]) -> list[Trace]:
    """Group spans by trace and hang each under its parent; traces in start order."""
    by_trace: dict[str, dict[str, Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, {})[span.span_id] = span
    traces = []
    for trace_id, members in by_trace.items():
        roots: list[Span] = []
        for span in sorted(members.values(), key=lambda s: s.start):
            parent = members.get(span.parent_id) if span.parent_id else None
            (parent.children if parent else roots).append(span)
        traces.append(Trace(trace_id, roots))
    return sorted(traces, key=lambda t: t.start)


def find_traces(
    traces_dir: Path, *, service: str | None = None, trace_id: str | None = None, last: int = 10
) -> list[Trace]:
    """The trace ``trace_id``, or the ``last`` complete traces (of ``service``), oldest first."""
    traces = build_traces(read_spans(sorted(traces_dir.glob("*.jsonl")), trace_id=trace_id))
    if trace_id:
        return traces
    chosen = [t for t in traces if t.complete and (service is None or service in t.services)]
    return chosen[-last:] if last > 0 else []


def _label(span: Span) -> Text:
    label = Text()
    label.append(f"{span.service}  ", style="cyan")
    label.append(span.name, style="bold red" if span.error else "bold")
    label.append(f"  {span.duration_ms:.1f} ms", style="yellow")
    for key in KEY_ATTRIBUTES:
        if key in span.attributes:
            value = str(span.attributes[key])
            if key == "db.statement" and len(value) > STATEMENT_CHARS:
                value = value[: STATEMENT_CHARS - 1] + "…"
            label.append(f"  {key}=", style="dim")
            label.append(value.lower() if isinstance(span.attributes[key], bool) else value)
    return label


def _grow(tree: Tree, span: Span) -> None:
    branch = tree.add(_label(span))
    for child in span.children:
        _grow(branch, child)


def render(trace: Trace) -> Tree:
    """A rich tree: the trace id and summary, then one line per span with its key attributes."""
    tree = Tree(Text(f"trace {trace.trace_id} · {trace.summary()}", style="bold"))
    for root in trace.roots:
        _grow(tree, root)
    return tree
