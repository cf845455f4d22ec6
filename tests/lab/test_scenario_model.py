"""The scenario schema and loader: good files load, bad files get one precise sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaoslab.errors import UsageError
from chaoslab.scenarios import list_scenarios, load_scenario
from chaoslab.scenarios.catalog import SCENARIOS_DIR, parse_scenario
from chaoslab.scenarios.model import Calibration, Check


def test_every_shipped_scenario_loads() -> None:
    ids = [s.id for s in list_scenarios()]
    assert "db-pool-exhaustion" in ids


def test_db_pool_exhaustion_matches_the_chapter() -> None:
    scenario = load_scenario("db-pool-exhaustion")
    # The chapter's two alerts; its 5xx rate "is slightly elevated" (a check, not a page).
    assert scenario.symptoms.alerts_firing == ["APIServiceP99Latency", "DatabaseConnectionPoolUsage"]
    assert "HTTP5xxErrorRate" in scenario.recovery.alerts_resolved
    assert scenario.symptoms.alerts_within_s == 30
    assert scenario.data.products >= 1_000_000
    assert "CREATE INDEX" in scenario.fix.steps[0].sql  # type: ignore[union-attr]
    assert {m.id: m.expect for m in scenario.mitigations} == {
        "flag-off": "recovers",
        "bigger-pool": "partial",
    }
    assert len(scenario.hints) >= 3


def test_same_seed_draws_same_variant() -> None:
    scenario = load_scenario("db-pool-exhaustion")
    assert scenario.variant(7).id == scenario.variant(7).id


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        load_scenario("no-such-thing")
    assert "db-pool-exhaustion" in (info.value.hint or "")


def _broken_copy(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((SCENARIOS_DIR / "db-pool-exhaustion" / "scenario.yaml").read_text())
    mutate(data)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_bad_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d["load"].update(users=-3))
    with pytest.raises(UsageError) as info:
        parse_scenario(path)
    message = info.value.message
    assert str(path) in message
    assert "`load.users`" in message
    line = int(message.split(f"{path}:")[1].split(":")[0])
    assert "users: -3" in path.read_text().splitlines()[line - 1]


def test_unknown_fault_kind_is_named(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d["variants"][0]["faults"][0].update(kind="meteor"))
    with pytest.raises(UsageError) as info:
        parse_scenario(path)
    assert "variants.0.faults.0" in info.value.message
    assert "meteor" in info.value.message


def test_a_probe_says_which_way_a_fault_moves_it() -> None:
    """Higher is worse unless the file says lower, as the recommender's click-through does."""
    scenario = load_scenario("recommender-degradation")
    assert scenario.probes["click_through_rate"].worse == "lower"
    assert scenario.probes["p99_latency"].worse == "higher"


def test_a_direction_other_than_higher_or_lower_is_refused(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d["probes"]["p99_latency"].update(worse="down"))
    with pytest.raises(UsageError) as info:
        parse_scenario(path)
    assert "probes.p99_latency" in info.value.message and "'higher' or 'lower'" in info.value.message


def test_check_on_unknown_probe_is_refused(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d["recovery"]["checks"].append({"probe": "nope", "below": 1}))
    with pytest.raises(UsageError, match="probe 'nope'"):
        parse_scenario(path)


def test_unknown_alert_is_refused(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d["symptoms"]["alerts_firing"].append("DiskFull"))
    with pytest.raises(UsageError, match="DiskFull"):
        parse_scenario(path)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text("id: x\ntitle: [unclosed\nchapter: y\n")
    with pytest.raises(UsageError, match=r"scenario.yaml:\d+: not valid YAML"):
        parse_scenario(path)


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (Check(probe="p", above=0.5), 0.6, True),
        (Check(probe="p", above=0.5), 0.5, False),
        (Check(probe="p", below=0.1), None, False),
        (Check(probe="p", equals=True), True, True),
        (Check(probe="p", contains="Seq Scan"), "Limit / Sort / Seq Scan on products", True),
        (Check(probe="p", not_contains="Seq Scan"), "Index Scan on products", True),
    ],
)
def test_check_conditions(check: Check, value: object, expected: bool) -> None:
    assert check.holds(value) is expected


def test_check_needs_exactly_one_condition() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Check(probe="p", above=1, below=2)


@pytest.mark.parametrize(
    ("check", "baseline", "threshold"),
    [
        # A symptom: past the line AND k times the baseline, whichever is stricter.
        (Check(probe="p", above=0.5, and_baseline=5), 0.02, 0.5),
        (Check(probe="p", above=0.5, and_baseline=5), 0.2, 1.0),
        (Check(probe="p", below=0.35, and_baseline=0.6), 0.5, 0.3),
        # A healthy value: under the line OR within k times the baseline, whichever is looser.
        (Check(probe="p", below=0.1, or_baseline=2), 0.03, 0.1),
        (Check(probe="p", below=0.1, or_baseline=2), 0.08, 0.16),
        (Check(probe="p", above=0.55, or_baseline=0.9), 0.5, 0.45),
        # No baseline known (a lab started without one): the line alone.
        (Check(probe="p", below=0.1, or_baseline=2), None, 0.1),
        (Check(probe="p", above=0.5, and_baseline=5), "n/a", 0.5),
    ],
)
def test_a_line_moves_with_the_runs_own_baseline(check: Check, baseline: object, threshold: float) -> None:
    assert check.threshold(baseline) == pytest.approx(threshold)


def test_relative_checks_judge_against_the_baseline() -> None:
    slow_machine = 0.08  # a baseline P99 of 80 ms
    recovered = Check(probe="p99", below=0.1, or_baseline=2)
    assert recovered.holds(0.15, slow_machine) and not recovered.holds(0.15, 0.02)
    symptom = Check(probe="p99", above=0.5, and_baseline=5)
    assert not symptom.holds(0.45, slow_machine) and symptom.holds(0.45 * 2, slow_machine)
    assert symptom.condition() == "> 0.5 and > 5x baseline"
    assert recovered.condition() == "< 0.1 or < 2x baseline"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"equals": 1, "or_baseline": 2}, "move an `above` or `below` line"),
        ({"above": 1, "and_baseline": 2, "or_baseline": 2}, "not both"),
        ({"above": 1, "and_baseline": 0}, "greater than 0"),
    ],
)
def test_baseline_words_need_a_line(fields: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Check(probe="p", **fields)


def test_every_scenario_that_settles_names_a_known_probe_and_tracks_its_relative_checks() -> None:
    for scenario in list_scenarios():
        settle = scenario.steady_state.settle
        if settle is not None:
            assert settle.probe in scenario.probes
        relative = [
            c.probe for c in scenario.recovery.checks + scenario.symptoms.checks if c.relative_to_baseline
        ]
        assert set(relative) <= set(scenario.baseline_probes()), scenario.id


def test_no_scenario_compares_a_latency_with_a_number_tuned_to_one_machine() -> None:
    """Latencies are judged against alert lines, the chapter's figures, or the run's baseline.

    A `below` on seconds tighter than an alert line must let the baseline loosen it.
    """
    alert_lines = {0.25, 0.5, 1.0}
    # The chapter's story is absolute here (each says why in its scenario file).
    chapter_lines = {("third-party-hang", "share_pending")}
    for scenario in list_scenarios():
        expectations = [scenario.steady_state, scenario.symptoms, scenario.recovery]
        expectations += [m.checks for m in scenario.mitigations]
        for expectation in expectations:
            for check in expectation.checks:
                if scenario.probes[check.probe].unit != "s" or check.below is None:
                    continue
                if (scenario.id, check.probe) in chapter_lines:
                    continue
                assert check.below in alert_lines or check.or_baseline is not None, (scenario.id, check)


def test_third_party_hang_matches_the_chapter() -> None:
    from chaoslab.faults.release import ReleaseFault
    from chaoslab.faults.toxic import ToxicFault

    scenario = load_scenario("third-party-hang")
    assert scenario.story.user_reports == [
        "The website is frozen after I log in!",
        "Nothing happens when I click the 'Share' button.",
    ]
    assert scenario.symptoms.alerts_firing == ["FrontendJSErrorRate"]
    hangs = {}
    for variant in scenario.variants:
        toxic = next(f for f in variant.faults if isinstance(f, ToxicFault))
        assert toxic.link == "frontend-social"
        hangs[toxic.type] = toxic.attributes.get("timeout", toxic.attributes.get("latency"))
        assert any(getattr(f, "flag", None) == "social-incident" for f in variant.faults)
    assert set(hangs) == {"timeout", "latency"} and min(hangs.values()) >= 30_000
    assert {scenario.variant(seed).id for seed in range(4)} == {v.id for v in scenario.variants}
    release = scenario.fix.steps[0]
    assert isinstance(release, ReleaseFault) and release.service == "frontend"
    assert (SCENARIOS_DIR / scenario.id / release.patch).is_file()
    assert {m.id: m.expect for m in scenario.mitigations} == {"share-off": "recovers"}
    assert len(scenario.hints) >= 4


def test_a_variant_fix_replaces_the_scenario_fix(tmp_path: Path) -> None:
    def own_fix(d: dict) -> None:
        d["variants"][0]["fix"] = {
            "description": "flag off",
            "steps": [{"kind": "flag", "flag": "browse-by-category", "enabled": False}],
        }

    scenario = parse_scenario(_broken_copy(tmp_path, own_fix))
    first, *others = scenario.variants
    assert scenario.fix_for(first.id).description == "flag off"
    assert all(scenario.fix_for(v.id) == scenario.fix for v in others)


def test_a_scenario_without_fix_needs_one_in_every_variant(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d.pop("fix"))
    with pytest.raises(UsageError, match="fix: is required"):
        parse_scenario(path)
    missing_metrics = load_scenario("missing-metrics")
    assert missing_metrics.fix is None
    assert {v.id: missing_metrics.fix_for(v.id).steps[0].kind for v in missing_metrics.variants} == {
        "provider-not-global": "rollback",
        "reader-not-attached": "rollback",
        "listener-on-loopback-v6": "rollback",
        "scrape-job-missing": "scrape",
        "unit-suffix": "rollback",
        "scrape-timeout": "scrape",
    }


def test_a_calibrated_setting_follows_the_measured_speed_within_its_bounds() -> None:
    pool_wait = Calibration(
        probe="scan_ms", reference=100, service="shop", env="X", value=0.7, bounds=(0.5, 4.0)
    )
    assert pool_wait.scaled(100) == 0.7
    assert pool_wait.scaled(200) == 1.4  # a machine half as fast drains the queue half as fast
    assert pool_wait.scaled(10) == 0.5 and pool_wait.scaled(10_000) == 4.0


def test_a_calibration_sizes_a_service_of_the_lab_or_the_load_s_pace(tmp_path: Path) -> None:
    paced = [c for c in load_scenario("db-pool-exhaustion").calibration if c.service == "locust"]
    assert [(c.env, c.reading) for c in paced] == [("CHAOSLAB_LOAD_PACE", "median")]
    path = _broken_copy(tmp_path, lambda d: d["calibration"][0].update(service="checkout"))
    with pytest.raises(UsageError, match=r"'checkout' is not one of services, nor locust"):
        parse_scenario(path)


def test_calibration_bounds_must_hold_its_value() -> None:
    with pytest.raises(ValueError, match="must hold value"):
        Calibration(probe="p", reference=1, service="shop", env="X", value=5, bounds=(0.5, 4.0))


def test_a_load_aimed_at_a_service_without_a_locustfile_names_those_with_one(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, lambda d: d["load"].update(locustfile="redis"))
    with pytest.raises(UsageError) as info:
        parse_scenario(path)
    assert "'redis' names no service with a locustfile" in info.value.message
    assert "'shop'" in info.value.message


def test_a_scrape_step_must_name_a_port_of_the_lab(tmp_path: Path) -> None:
    def mutate(data: dict) -> None:
        data["variants"][0]["faults"].append(
            {"kind": "scrape", "job": "shop", "set": {"port": "shop-metric"}}
        )

    path = _broken_copy(tmp_path, mutate)
    with pytest.raises(UsageError, match=r"set\.port 'shop-metric' is not a port of the lab"):
        parse_scenario(path)
