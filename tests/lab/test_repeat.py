"""`chaoslab repeat`: seed selection, records and the aggregate (pure), and busy cores for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from chaoslab import repeat
from chaoslab.end_to_end import RunOutcome
from chaoslab.errors import EnvironmentProblem, NotHealthy, UsageError
from chaoslab.load.busy import busy_cores, check_busy_cores
from chaoslab.repeat import (
    FailedCheck,
    PhaseRecord,
    RunRecord,
    aggregate,
    parse_seed_range,
    record_of,
    repeat_scenario,
    report_tables,
    select_seeds,
    spread_of,
)
from chaoslab.scenarios import load_scenario
from chaoslab.scenarios.observe import CheckResult, PhaseResult
from chaoslab.waiting import wait_until
from tests import REPO_ROOT
from tests.chaoslab_command import run_chaoslab

# ----------------------------------------------------------------------------- seeds


@dataclass
class FakeVariant:
    id: str


@dataclass
class FakeScenario:
    """The part of a Scenario that seed selection reads: three variants drawn cyclically."""

    id: str = "fake"
    variants: list[FakeVariant] = field(default_factory=lambda: [FakeVariant(v) for v in ("a", "b", "c")])

    def variant(self, seed: int) -> FakeVariant:
        return self.variants[seed % len(self.variants)]


def test_default_is_ten_seeds_from_one() -> None:
    assert select_seeds(FakeScenario()) == list(range(1, 11))


def test_runs_gives_seeds_one_to_n() -> None:
    assert select_seeds(FakeScenario(), runs=3) == [1, 2, 3]


def test_a_range_gives_its_seeds_inclusive() -> None:
    assert select_seeds(FakeScenario(), seeds="4-7") == [4, 5, 6, 7]
    assert select_seeds(FakeScenario(), seeds=" 9 ") == [9]


def test_a_variant_walks_seeds_upward_until_enough_draw_it() -> None:
    # seed % 3: b is drawn by 1, 4, 7, 10…
    assert select_seeds(FakeScenario(), runs=4, variant="b") == [1, 4, 7, 10]
    assert select_seeds(FakeScenario(), runs=2, variant="a") == [3, 6]


def test_a_variant_filters_a_range() -> None:
    assert select_seeds(FakeScenario(), seeds="1-9", variant="c") == [2, 5, 8]


def test_every_variant_of_a_real_scenario_gets_its_runs() -> None:
    scenario = load_scenario("missing-metrics")
    for variant in scenario.variants:
        seeds = select_seeds(scenario, runs=3, variant=variant.id)
        assert len(seeds) == 3 and len(set(seeds)) == 3
        assert {scenario.variant(s).id for s in seeds} == {variant.id}


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"variant": "zzz"}, "known variants: a, b, c"),
        ({"seeds": "7-3"}, "smaller seed first: 3-7"),
        ({"seeds": "1..3"}, "A-B"),
        ({"seeds": "-3"}, "A-B"),
        ({"seeds": "1-5000"}, "smaller range"),
        ({"runs": 0}, "--runs"),
        ({"runs": 3, "seeds": "1-3"}, "--seeds A-B"),
        ({"seeds": "1-1", "variant": "a"}, "seeds that draw it: 3, 6"),
    ],
)
def test_bad_seed_requests_are_usage_errors(kwargs: dict, needle: str) -> None:
    with pytest.raises(UsageError) as caught:
        select_seeds(FakeScenario(), **kwargs)
    assert needle in caught.value.render()
    assert caught.value.exit_code == 2


def test_parse_seed_range_rejects_garbage() -> None:
    for text in ("", "a-b", "1-", "1-2-3", "1,2"):
        with pytest.raises(UsageError):
            parse_seed_range(text)


# ----------------------------------------------------------------------------- aggregate


def phase(
    name: str, ok: bool = True, elapsed_s: float = 10.0, failed: list[FailedCheck] | None = None, **summary
):
    return PhaseRecord(name, ok, elapsed_s, summary=summary, failed_checks=failed or [])


def run(seed: int, variant: str, phases: list[PhaseRecord], error: str | None = None) -> RunRecord:
    ok = error is None and all(p.ok for p in phases)
    return RunRecord(seed, variant, ok, f"run-{seed}", error, seconds=60.0 + seed, phases=phases)


def test_spread_of_numbers() -> None:
    spread = spread_of([0.4, 0.1, 0.2])
    assert (spread.n, spread.median, spread.min, spread.max) == (3, 0.2, 0.1, 0.4)
    assert spread.spread_pct == pytest.approx(150.0)  # (0.4 - 0.1) / 0.2
    assert spread.max_deviation_pct == pytest.approx(100.0)  # 0.4 is 0.2 above the median


def test_spread_of_equal_numbers_is_zero_even_at_zero() -> None:
    assert spread_of([0.0, 0.0]).spread_pct == 0.0
    assert spread_of([5.0]).max_deviation_pct == 0.0


def test_spread_relative_to_a_zero_median_is_undefined() -> None:
    spread = spread_of([0.0, 0.0, 0.3])
    assert spread.median == 0.0 and spread.max == 0.3
    assert spread.spread_pct is None and spread.max_deviation_pct is None


def test_spread_of_nothing() -> None:
    assert spread_of([]).n == 0 and spread_of([]).median is None


def test_aggregate_per_variant_phase_and_probe() -> None:
    p99 = "p99"
    runs = [
        run(1, "a", [phase("baseline", p99=0.02), phase("symptoms", elapsed_s=20, p99=2.0)]),
        run(2, "b", [phase("baseline", p99=0.03), phase("symptoms", p99=1.0)]),
        run(4, "a", [phase("baseline", p99=0.04), phase("symptoms", elapsed_s=40, p99=3.0)]),
        run(7, "a", [phase("baseline", p99=0.03), phase("symptoms", elapsed_s=30, p99=2.5)]),
    ]
    result = aggregate(runs, {p99: "s"})
    assert [v.variant for v in result] == ["a", "b"]
    a = result[0]
    assert (a.runs, a.passed, a.pass_rate, a.seeds, a.failures) == (3, 3, 1.0, [1, 4, 7], [])
    assert a.seconds.median == 64.0
    assert [p.name for p in a.phases] == ["baseline", "symptoms"]
    symptoms = a.phases[1]
    assert (symptoms.runs, symptoms.passed) == (3, 3)
    assert symptoms.elapsed_s.median == 30 and symptoms.elapsed_s.min == 20 and symptoms.elapsed_s.max == 40
    (probe,) = symptoms.probes
    assert (probe.probe, probe.unit) == (p99, "s")
    assert (probe.numbers.median, probe.numbers.min, probe.numbers.max) == (2.5, 2.0, 3.0)
    assert probe.numbers.spread_pct == pytest.approx(40.0)
    assert probe.numbers.max_deviation_pct == pytest.approx(20.0)


def test_aggregate_counts_failures_with_their_first_failed_check() -> None:
    first = FailedCheck("symptoms", "pool_usage", ">= 0.9", 0.42)
    later = FailedCheck("symptoms", "alert X", "firing", "inactive")
    runs = [
        run(1, "a", [phase("baseline"), phase("symptoms", ok=False, failed=[first, later])]),
        run(2, "a", [phase("baseline"), phase("symptoms"), phase("recovery")]),
        run(3, "a", [], error="Timed out after 120s waiting for shop."),
        run(4, "a", [phase("baseline", ok=False)]),
    ]
    (a,) = aggregate(runs)
    assert (a.runs, a.passed, a.pass_rate) == (4, 1, 0.25)
    assert [f.seed for f in a.failures] == [1, 3, 4]
    by_seed = {f.seed: f for f in a.failures}
    assert (by_seed[1].phase, by_seed[1].label, by_seed[1].value) == ("symptoms", "pool_usage", 0.42)
    assert by_seed[3].error == "Timed out after 120s waiting for shop." and by_seed[3].phase is None
    assert by_seed[4].phase == "baseline" and by_seed[4].label is None
    # Phases count only the runs that reached them.
    assert [(p.name, p.runs, p.passed) for p in a.phases] == [
        ("baseline", 3, 2),
        ("symptoms", 2, 1),
        ("recovery", 1, 1),
    ]


def test_aggregate_keeps_non_numbers_apart() -> None:
    runs = [
        run(1, "a", [phase("symptoms", flag=True, p99=0.5)]),
        run(2, "a", [phase("symptoms", flag=True, p99=None)]),
        run(3, "a", [phase("symptoms", flag=False, p99=float("inf"))]),
    ]
    (a,) = aggregate(runs, {"p99": "s"})
    flag, p99 = a.phases[0].probes
    assert flag.numbers.n == 0 and flag.others == {"yes": 2, "no": 1}
    assert p99.numbers.n == 1 and p99.numbers.median == 0.5
    assert p99.missing == 1 and list(p99.others.values()) == [1]


def test_aggregate_is_pure() -> None:
    runs = [run(s, "a", [phase("symptoms", p99=s / 10)]) for s in (1, 2, 3)]
    before = json.dumps(repeat.as_json_data(runs))
    assert aggregate(runs) == aggregate(runs)
    assert json.dumps(repeat.as_json_data(runs)) == before


# ----------------------------------------------------------------------------- records


@dataclass
class CheckWithMore(CheckResult):
    """A check result as a later version might have it: one more field."""

    confidence: float = 0.5


def outcome(seed: int, ok: bool = True) -> RunOutcome:
    checks = [
        CheckWithMore("p99", "<= 0.05", 0.02, True),
        CheckWithMore("pool", "<= 0.5", float("nan"), ok, error=None if ok else "went away", confidence=0.9),
    ]
    result = RunOutcome(
        scenario="s", seed=seed, variant="a", run_id=f"r{seed}", calibration=[{"env": "X", "value": 0.6}]
    )
    result.phases.append(PhaseResult("baseline", True, 12.345, summary={"p99": 0.02}))
    result.phases.append(PhaseResult("symptoms", ok, 30.0, checks=checks, summary={"p99": 2.0}, firing=["X"]))
    return result


def test_record_of_an_outcome_carries_new_fields_along() -> None:
    record = record_of(outcome(3, ok=False), 71.234, busy_load_held=True)
    assert (record.seed, record.variant, record.ok, record.run_id, record.seconds) == (
        3,
        "a",
        False,
        "r3",
        71.23,
    )
    assert record.calibration == [{"env": "X", "value": 0.6}]
    assert [p.name for p in record.phases] == ["baseline", "symptoms"]
    assert record.phases[0].elapsed_s == 12.35 and record.phases[1].firing == ["X"]
    (failed,) = record.phases[1].failed_checks
    assert (failed.phase, failed.label, failed.error) == ("symptoms", "pool", "went away")
    assert failed.extra["confidence"] == 0.9
    assert record.first_failure() is failed
    # The document is strict JSON: nan becomes text.
    text = json.dumps(repeat.as_json_data(record), allow_nan=False)
    assert json.loads(text)["phases"][1]["failed_checks"][0]["value"] == "nan"


def test_repeat_scenario_records_every_run_and_stops_on_usage_errors(monkeypatch, tmp_path: Path) -> None:
    scenario = load_scenario("missing-metrics")
    calls = []

    def fake_run(scenario_, *, seed, port_base, runtime, echo):
        calls.append((seed, port_base, runtime))
        echo("measuring")
        if seed == 2:
            raise NotHealthy("Timed out after 120s waiting for exporter.")
        result = outcome(seed)
        result.variant = scenario_.variant(seed).id
        return result

    monkeypatch.setattr(repeat.runner, "run_scenario", fake_run)
    seen: list[int] = []
    lines: list[str] = []
    out = tmp_path / "r.json"

    def after_run(report, record) -> None:
        seen.append(record.seed)
        report.write(out)

    report = repeat_scenario(
        scenario, [1, 2, 3], runtime="local", port_base=17400, echo=lines.append, on_run=after_run
    )
    assert calls == [(1, 17400, "local"), (2, 17400, "local"), (3, 17400, "local")]
    assert seen == [1, 2, 3] and report.complete and report.ended
    assert "[2/3 seed 2] measuring" in lines
    assert [r.ok for r in report.runs] == [True, False, True]
    assert report.runs[1].error and "exporter" in report.runs[1].error and report.runs[1].run_id is None
    assert not report.ok
    assert sum(v.runs for v in report.variants) == 3
    document = json.loads(out.read_text())
    assert document["scenario"] == "missing-metrics" and len(document["runs"]) == 3
    assert document["machine"]["cpu_count"] == os.cpu_count()
    assert {"pass_rate", "phases", "failures"} <= set(document["variants"][0])
    tables = report_tables(scenario, report)
    assert any("failing runs" in t.title for t in tables)
    assert "\t" in tables[0].tab_separated()

    def broken_run(scenario_, **kwargs):
        raise EnvironmentProblem("Port 17400 on 127.0.0.1, needed by prometheus, is in use.")

    monkeypatch.setattr(repeat.runner, "run_scenario", broken_run)
    with pytest.raises(EnvironmentProblem):
        repeat_scenario(scenario, [1, 2], echo=lines.append)


def test_the_command_refuses_an_unknown_variant_with_exit_2() -> None:
    result = run_chaoslab("repeat", "missing-metrics", "--variant", "nope")
    assert result.returncode == 2, result.stderr
    assert "scrape-job-missing" in result.stderr and "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- busy cores


def test_busy_cores_must_leave_a_core_for_the_lab() -> None:
    for bad in (-1, os.cpu_count() or 1):
        with pytest.raises(UsageError):
            check_busy_cores(bad)
    with busy_cores(0, 10) as load:
        assert load is None


def stress_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "status"]):
        if (proc.info["name"] or "").startswith("stress-ng") and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def gone(pids: set[int]) -> bool:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return not alive


def cpu_seconds(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


@pytest.mark.integration
def test_busy_cores_runs_stress_ng_and_leaves_nothing_behind() -> None:
    with busy_cores(1, 30) as load:
        assert load is not None and load.running()
        members = load.members()
        pids = {p.pid for p in members}
        assert all(p.name().startswith("stress-ng") for p in members)
        workers = [p for p in members if p.pid != load.pgid]
        assert len(workers) == 1
        # Really busy: the worker burns CPU time (0.5 s of it takes ~0.5 s on an idle core).
        wait_until(lambda: cpu_seconds(workers[0]) >= 0.5, 20, "the stress-ng worker to use CPU")
    assert not load.running()
    assert gone(pids), [p.as_dict(["pid", "name", "status"]) for p in stress_processes()]
    assert not load.members()


@pytest.mark.integration
def test_busy_cores_stops_on_an_exception() -> None:
    with pytest.raises(RuntimeError), busy_cores(1, 30) as load:
        assert load is not None
        pids = {p.pid for p in load.members()}
        raise RuntimeError("a run blew up")
    assert len(pids) == 2 and gone(pids)


@pytest.mark.integration
def test_busy_cores_stops_when_the_harness_gets_sigterm(tmp_path: Path) -> None:
    pid_file = tmp_path / "pgid"
    script = textwrap.dedent(
        f"""
        import signal
        from pathlib import Path
        from chaoslab.load.busy import busy_cores

        with busy_cores(1, 60) as load:
            Path({str(pid_file)!r}).write_text(" ".join(str(p.pid) for p in load.members()))
            signal.pause()  # until SIGTERM
        """
    )
    harness = subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT)
    try:
        wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() != "", 30, "the load to start")
        pids = {int(p) for p in pid_file.read_text().split()}
        assert len(pids) == 2 and not gone(pids)
        harness.send_signal(signal.SIGTERM)
        assert harness.wait(timeout=30) == 128 + signal.SIGTERM
        assert gone(pids)
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
