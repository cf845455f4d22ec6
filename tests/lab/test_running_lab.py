"""The running lab as tools see it: endpoints of the services the scenario has, and only those."""

from __future__ import annotations

from chaoslab.running_lab import LiveLab
from chaoslab.runs import Run
from chaoslab.scenarios import load_scenario


def endpoints_of(scenario_id: str) -> dict[str, str]:
    run = Run.create(scenario=scenario_id, seed=1, variant="v", runtime="local", port_base=19500)
    return LiveLab(run, load_scenario(scenario_id), runtime=object()).endpoints()  # type: ignore[arg-type]


def test_profile_lab_exports_its_own_services_only() -> None:
    found = endpoints_of("stale-profile-cache")
    assert found["CHAOSLAB_PROFILE_URL"] == "http://127.0.0.1:19511"
    password = found["REDISCLI_AUTH"]
    assert found["CHAOSLAB_REDIS_URL"] == f"redis://:{password}@127.0.0.1:19501/0"
    assert "CHAOSLAB_SHOP_URL" not in found
    assert {"CHAOSLAB_POSTGRES_DSN", "CHAOSLAB_PROMETHEUS_URL", "CHAOSLAB_TOXIPROXY_URL"} <= set(found)


def test_shop_lab_has_no_profile_endpoint() -> None:
    found = endpoints_of("db-pool-exhaustion")
    assert found["CHAOSLAB_SHOP_URL"] == "http://127.0.0.1:19510" and "CHAOSLAB_PROFILE_URL" not in found


def test_endpoints_carry_the_runs_own_passwords() -> None:
    found = endpoints_of("db-pool-exhaustion")
    other = endpoints_of("db-pool-exhaustion")
    assert found["PGPASSWORD"] and found["PGPASSWORD"] in found["CHAOSLAB_POSTGRES_DSN"]
    assert found["CHAOSLAB_PROMETHEUS_PASSWORD"] in found["CHAOSLAB_PROMETHEUS_URL"]
    assert {found[k] for k in ("PGPASSWORD", "REDISCLI_AUTH", "CHAOSLAB_PROMETHEUS_PASSWORD")}.isdisjoint(
        {other[k] for k in ("PGPASSWORD", "REDISCLI_AUTH", "CHAOSLAB_PROMETHEUS_PASSWORD")}
    )


def test_run_folder_and_secrets_are_the_owners_only() -> None:
    run = Run.create(scenario="s", seed=1, variant="v", runtime="local", port_base=19500)
    assert (run.dir / "secrets.env").stat().st_mode & 0o777 == 0o600
    for folder in (run.dir, run.dir.parent, run.data_dir):
        assert folder.stat().st_mode & 0o007 == 0, f"{folder} is open to other users"
