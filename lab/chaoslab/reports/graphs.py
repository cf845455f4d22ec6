"""PNG graphs (matplotlib, Agg): key signals with the incident's moments marked, and game-day charts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chaoslab.reports.metrics import RunMetrics, Series
from chaoslab.reports.timings import Timings, format_duration

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INK = "#1f2328"
SIGNAL = "#0969da"
GRID = "#d8dee4"
# The incident's moments in the colours people expect: red fault, amber detection, green fixed.
MARKERS = (
    ("injected", "#cf222e", "-"),
    ("detected", "#bf8700", "--"),
    ("mitigated", "#8250df", "-."),
    ("recovered", "#1a7f37", "-"),
)


@dataclass
class Threshold:
    """A horizontal line on a signal's graph: a recovery check's limit."""

    value: float
    label: str


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 9,
            "axes.edgecolor": "#8c959f",
            "axes.labelcolor": INK,
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "xtick.color": "#57606a",
            "ytick.color": "#57606a",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def scale(unit: str) -> tuple[float, str]:
    """Factor and axis label for a probe unit: seconds as ms, ratios as %."""
    return {"s": (1000.0, "ms"), "ratio": (100.0, "%")}.get(unit, (1.0, unit))


def _clock(seconds: float, _pos: object = None) -> str:
    sign = "-" if seconds < 0 else ""
    minutes, rest = divmod(abs(round(seconds)), 60)
    return f"{sign}{minutes}:{rest:02d}"


def moments(timings: Timings) -> list[tuple[str, float, str, str]]:
    """(label, seconds since injection, colour, line style) for each moment that happened."""
    labels = {
        "injected": "fault injected",
        "detected": f"detected ({timings.detected_by})",
        "mitigated": "mitigated",
        "recovered": "recovered (verified)",
    }
    at = {
        "injected": 0.0 if timings.injected_at is not None else None,
        "detected": timings.ttd,
        "mitigated": timings.ttm,
        "recovered": timings.ttr,
    }
    found = []
    for key, colour, style in MARKERS:
        seconds = at[key]
        if seconds is not None:
            suffix = "" if key == "injected" else f" +{format_duration(seconds)}"
            found.append((labels[key] + suffix, seconds, colour, style))
    return found


def _mark(ax: Axes, marks: list[tuple[str, float, str, str]], *, labelled: bool) -> None:
    for label, seconds, colour, style in marks:
        ax.axvline(seconds, color=colour, linestyle=style, linewidth=1.6, label=label if labelled else None)


def _saved(fig: Figure, ax: Axes, path: Path) -> Path:
    """Finish a graph on the time axis (the injection at 0, the legend below) and write it."""
    _style_time_axis(ax, "the injection")
    _legend_below(ax)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    _pyplot().close(fig)
    return path


def _legend_below(ax: Axes) -> None:
    if not ax.get_legend_handles_labels()[0]:
        return  # nothing was marked (no moment in the timeline): no empty legend box
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=5, fontsize=8, frameon=False)


def _fit_x(ax: Axes, xs: list[float], marks: list[tuple[str, float, str, str]]) -> None:
    # Every moment must be visible, even the recovery the metrics end with.
    span = [*xs, *(seconds for _, seconds, _, _ in marks)]
    if span:
        pad = max(2.0, (max(span) - min(span)) * 0.02)
        ax.set_xlim(min(span) - pad, max(span) + pad)


def _style_time_axis(ax: Axes, origin_label: str) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_formatter(FuncFormatter(_clock))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 3, 5, 6, 10]))
    ax.set_xlabel(f"minutes:seconds since {origin_label}")
    ax.grid(True, color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)


def signal_graph(
    series: Series,
    window: tuple[float, float],
    origin: float,
    marks: list[tuple[str, float, str, str]],
    thresholds: list[Threshold],
    path: Path,
) -> Path:
    """One key signal over ``window`` (timestamps), with the incident's moments and the recovery limits."""
    plt = _pyplot()
    factor, unit = scale(series.unit)
    xs = [ts - origin for ts, v in series.points]
    ys = [v * factor if v is not None else float("nan") for _, v in series.points]
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=120)
    ax.plot(xs, ys, color=SIGNAL, linewidth=1.8)
    ax.fill_between(xs, ys, color=SIGNAL, alpha=0.12, linewidth=0)
    for threshold in thresholds:
        ax.axhline(
            threshold.value * factor, color="#57606a", linestyle=":", linewidth=1.2, label=threshold.label
        )
    _mark(ax, marks, labelled=True)
    ax.set_title(series.description)
    ax.set_ylabel(unit)
    top = max([y for y in ys if y == y] + [t.value * factor for t in thresholds] + [0.0])
    ax.set_ylim(0, top * 1.12 or 1)
    _fit_x(ax, [window[0] - origin, window[1] - origin], marks)
    return _saved(fig, ax, path)


def alerts_graph(
    metrics: RunMetrics, origin: float, marks: list[tuple[str, float, str, str]], path: Path
) -> Path:
    """When each alert was firing, on the same clock as the signal graphs."""
    plt = _pyplot()
    names = sorted(metrics.alerts)
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.45 * max(len(names), 1)), dpi=120)
    for row, name in enumerate(names):
        for start, end in metrics.alerts[name]:
            stop = end if end is not None else metrics.end
            ax.broken_barh([(start - origin, stop - start)], (row - 0.3, 0.6), color="#cf222e", alpha=0.75)
    # A silent incident (no alert at all) still gets its row, saying so.
    ax.set_yticks(range(max(len(names), 1)), names or ["(no alert fired)"])
    ax.set_ylim(-0.6, max(len(names), 1) - 0.4)
    _fit_x(ax, [metrics.start - origin, metrics.end - origin], marks)
    _mark(ax, marks, labelled=True)
    ax.set_title("alerts firing")
    return _saved(fig, ax, path)


@dataclass
class IncidentBar:
    """One team's incident in one round, for the game-day chart."""

    label: str
    limit_s: float
    timings: Timings


def gameday_times_graph(bars: list[IncidentBar], path: Path) -> Path:
    """Each team's incidents as bars from the injection to recovery (or the time limit), moments marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.5 * len(bars)), dpi=120)
    labelled: set[str] = set()

    def once(label: str) -> str | None:
        if label in labelled:
            return None
        labelled.add(label)
        return label

    ends: list[float] = []
    for row, bar in enumerate(reversed(bars)):
        t = bar.timings
        end = t.ttr if t.ttr is not None else bar.limit_s
        ends.append(end)
        colour = "#1a7f37" if t.verified else "#8c959f"
        label = "until recovery (verified)" if t.verified else "not recovered within the limit"
        ax.barh(row, end, height=0.5, color=colour, alpha=0.35, label=once(label))
        for seconds, marker, colour_, what in (
            (t.time_to_ack, "D", "#bf8700", "acknowledged"),
            (t.ttm, "v", "#8250df", "mitigated"),
            (t.ttr, "o", "#1a7f37", "recovered"),
        ):
            if seconds is not None:
                ax.plot(
                    seconds, row, marker=marker, color=colour_, markersize=8, linestyle="", label=once(what)
                )
        if t.hints_used:
            ax.annotate(
                f"{t.hints_used} hint(s)", (end, row), xytext=(10, 0), textcoords="offset points", va="center"
            )
    ax.set_yticks(range(len(bars)), [b.label for b in reversed(bars)])
    ax.set_xlim(0, max(ends, default=60.0) * 1.15)
    ax.set_title("time to acknowledge, mitigate and recover, per team and round")
    _style_time_axis(ax, "the injection")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return path


def gameday_scores_graph(scores: dict[str, list[int]], rounds: list[str], path: Path) -> Path:
    """Points per team, one bar per round stacked into the team's total."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.55 * max(len(scores), 1)), dpi=120)
    palette = ["#0969da", "#1a7f37", "#bf8700", "#8250df", "#cf222e", "#57606a"]
    teams = list(scores)
    lefts = [0] * len(teams)
    for index, round_name in enumerate(rounds):
        values = [scores[team][index] for team in teams]
        ax.barh(teams, values, left=lefts, color=palette[index % len(palette)], label=round_name, height=0.55)
        lefts = [left + value for left, value in zip(lefts, values, strict=True)]
    for row, total in enumerate(lefts):
        ax.text(total + 1, row, str(total), va="center", fontweight="bold")
    ax.invert_yaxis()
    ax.set_xlim(0, max([*lefts, 100]) * 1.1)
    ax.set_xlabel("points")
    ax.set_title("score per team (stacked by round)")
    ax.grid(True, axis="x", color=GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return path
