"""Pass rate and spread of every scenario and variant: `chaoslab repeat` over the whole catalog.

Each (scenario, variant) gets its own repeat of --runs runs (seeds that draw the variant,
walked from 1 up), optionally on --busy-cores cores kept busy by stress-ng. The JSON of each
repeat is written to --out-dir; the end is one Markdown table: pass rate and the median
[min–max] of each summary probe in the symptoms phase.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from lab_home import private_home

from chaoslab.errors import LabError
from chaoslab.homes import state_home
from chaoslab.load.busy import check_busy_cores
from chaoslab.repeat import RepeatReport, RunRecord, repeat_scenario, select_seeds
from chaoslab.reports.summary import format_value
from chaoslab.scenarios import list_scenarios, load_scenario


def symptoms_cell(report: RepeatReport) -> str:
    """``probe median [min–max]`` of each summary probe in the symptoms phase, `; `-separated."""
    parts = []
    for variant in report.variants:
        phase = next((p for p in variant.phases if p.name == "symptoms"), None)
        if phase is None:
            return "no run reached the symptoms"
        for probe in phase.probes:
            spread, unit = probe.numbers, probe.unit
            if spread.n:
                figure = (
                    f"{format_value(spread.median, unit)} "
                    f"[{format_value(spread.min, unit)}–{format_value(spread.max, unit)}]"
                )
            else:
                figure = ", ".join(f"{value} ×{count}" for value, count in probe.others.items()) or "—"
            parts.append(f"{probe.probe} {figure}")
    return "; ".join(parts)


def progress(record: RunRecord) -> None:
    """One line per finished run, on stderr (stdout is the Markdown table)."""
    verdict = "passed" if record.ok else "FAILED"
    print(f"  seed {record.seed}: {verdict} in {record.seconds:.0f}s", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="runs per variant (default 10)")
    parser.add_argument("--busy-cores", type=int, default=0, help="cores kept busy by stress-ng (default 0)")
    parser.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    parser.add_argument("--runtime", default="local", choices=["local", "docker"])
    parser.add_argument("--port-base", type=int, default=15700)
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where the JSON of each repeat goes (default <state home>/repeats)",
    )
    args = parser.parse_args()
    check_busy_cores(args.busy_cores)
    # The runs get a private state home; the JSONs go where `chaoslab repeat` puts them.
    out_dir = args.out_dir or state_home() / "repeats"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    scenarios = [load_scenario(s) for s in args.scenario] if args.scenario else list_scenarios()
    rows = []
    failed = False
    with private_home():
        for scenario in scenarios:
            for variant in scenario.variants:
                seeds = select_seeds(scenario, runs=args.runs, variant=variant.id)
                print(f"{scenario.id} / {variant.id}: seeds {seeds}", file=sys.stderr, flush=True)
                path = out_dir / f"{stamp}-{scenario.id}-{variant.id}.json"
                report = repeat_scenario(
                    scenario,
                    seeds,
                    runtime=args.runtime,
                    port_base=args.port_base,
                    busy_cores=args.busy_cores,
                    echo=lambda _: None,
                    # Written after every run: an interrupted bench keeps what it measured.
                    on_run=lambda report, record, path=path: (report.write(path), progress(record)),
                )
                report.write(path)
                print(f"  JSON: {path}", file=sys.stderr, flush=True)
                passed = sum(run.ok for run in report.runs)
                failed = failed or passed < len(report.runs)
                rows.append(
                    f"| {scenario.id} | {variant.id} | {args.busy_cores} | "
                    f"{passed}/{len(report.runs)} | {symptoms_cell(report)} |"
                )
    print("| scenario | variant | busy cores | pass rate | symptoms: median [min–max] |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except LabError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        sys.exit(error.exit_code)
