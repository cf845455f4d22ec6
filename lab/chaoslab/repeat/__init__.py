"""Repeating a scenario end to end: which seeds, the runs, and how much what they saw varies.

A scenario that passes once may still be flaky. `chaoslab repeat` runs it N times (on busy
cores if asked), keeps one typed record per run (`records.py`), and aggregates per variant
(`spread.py`): the pass rate and, for every phase and summary probe, the median, the range and
the relative spread. `seeds.py` chooses the seeds, `runner.py` runs them, `report.py` writes the
JSON, `tables.py` the text.
"""

from chaoslab.repeat.records import FailedCheck, PhaseRecord, RunRecord, as_json_data, record_of
from chaoslab.repeat.report import Machine, RepeatReport, default_report_path, units_of
from chaoslab.repeat.runner import busy_bound_s, repeat_scenario
from chaoslab.repeat.seeds import DEFAULT_RUNS, MAX_RUNS, parse_seed_range, select_seeds
from chaoslab.repeat.spread import Spread, VariantAggregate, aggregate, format_spread, spread_of
from chaoslab.repeat.tables import TextTable, report_tables, verdict_line

__all__ = [
    "DEFAULT_RUNS",
    "MAX_RUNS",
    "FailedCheck",
    "Machine",
    "PhaseRecord",
    "RepeatReport",
    "RunRecord",
    "Spread",
    "TextTable",
    "VariantAggregate",
    "aggregate",
    "as_json_data",
    "busy_bound_s",
    "default_report_path",
    "format_spread",
    "parse_seed_range",
    "record_of",
    "repeat_scenario",
    "report_tables",
    "select_seeds",
    "spread_of",
    "units_of",
    "verdict_line",
]
