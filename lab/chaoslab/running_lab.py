"""The running lab as faults, probes and the CLI see it: endpoints and a few levers."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from chaoslab.calls import unix_socket_url
from chaoslab.flags import FlagStore
from chaoslab.observability.prometheus import PrometheusClient
from chaoslab.runs import Run
from chaoslab.runs.secrets import PROMETHEUS_USER, RunSecrets
from chaoslab.runs.state import Reading
from chaoslab.runtimes import Runtime, ServiceStatus, runtime_for
from chaoslab.runtimes.core.desired import start_order
from chaoslab.scenarios.catalog import SCENARIOS_DIR
from chaoslab.scenarios.model import Scenario
from chaoslab.service_status import ServiceAction
from chaoslab.specs.catalog import DEFINITIONS, OFFSETS, LabContext
from chaoslab.specs.catalog.postgres import DB_NAME, DB_USER, dsn
from chaoslab.specs.catalog.prometheus import client_of, write_config
from chaoslab.specs.catalog.redis import redis_url
from chaoslab.specs.model import ServiceSpec
from chaoslab.specs.ports import PortPlan


class LiveLab:
    """One run of a scenario: where its services listen and how to change them."""

    def __init__(self, run: Run, scenario: Scenario, runtime: Runtime | None = None):
        self.run = run
        self.scenario = scenario
        self.ports = PortPlan(run.info.port_base)
        self.runtime = runtime or runtime_for(run)

    def baseline_readings(self) -> dict[str, Reading]:
        """This run's measured baseline, probe by probe (empty before it is measured)."""
        return dict(self.run.read_state().baseline)

    # -- endpoints (LabAccess) ----------------------------------------------
    @cached_property
    def prometheus(self) -> PrometheusClient:
        return client_of(self.run)

    @cached_property
    def flags(self) -> FlagStore:
        return FlagStore(self.run.config_dir / "flags.json")

    @cached_property
    def secrets(self) -> RunSecrets:
        """The run's passwords (``<run>/secrets.env``)."""
        return self.run.secrets

    @property
    def admin_dsn(self) -> str:
        """Straight to PostgreSQL, not through Toxiproxy: probes must not feel network faults."""
        return dsn(self.ports["postgres"], self.secrets.postgres)

    @property
    def login_dsn(self) -> str:
        """``admin_dsn`` without the password, for command lines (``ps`` shows them to everybody)."""
        return dsn(self.ports["postgres"])

    def client_env(self) -> dict[str, str]:
        """The passwords as psql and redis-cli read them from their environment."""
        return {"PGPASSWORD": self.secrets.postgres, "REDISCLI_AUTH": self.secrets.redis}

    @property
    def toxiproxy_url(self) -> str:
        """Toxiproxy's admin API: its owner-only Unix socket when the lab has one, else its TCP port."""
        if self.run.toxiproxy_socket.exists():
            return unix_socket_url(self.run.toxiproxy_socket)
        return f"http://127.0.0.1:{self.ports['toxiproxy']}"

    @property
    def redis_url(self) -> str:
        """Straight to Redis, not through Toxiproxy, like ``admin_dsn``."""
        return redis_url(self.ports["redis"], self.secrets.redis)

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def source_dir(self) -> Path:
        return self.run.source_dir

    @property
    def scenario_dir(self) -> Path:
        return SCENARIOS_DIR / self.scenario.id

    def endpoints(self) -> dict[str, str]:
        """The lab's endpoints as environment variables for other tools."""
        present = set(self.scenario.services)
        found = {"CHAOSLAB_RUN_ID": self.run.id}
        # URLs carry the run's passwords, and psql, redis-cli and libpq-based tools find them in
        # PG*/REDISCLI_AUTH: the learner's own tools log in with no extra typing.
        if "postgres" in present:
            found["CHAOSLAB_POSTGRES_DSN"] = self.admin_dsn
            found |= {
                "PGHOST": "127.0.0.1",
                "PGPORT": str(self.ports["postgres"]),
                "PGUSER": DB_USER,
                "PGDATABASE": DB_NAME,
                "PGPASSWORD": self.secrets.postgres,
            }
        if "redis" in present:
            found["CHAOSLAB_REDIS_URL"] = self.redis_url
            found["REDISCLI_AUTH"] = self.secrets.redis
        for app in self.scenario.services:
            if app in DEFINITIONS and DEFINITIONS[app].web is not None:
                found[f"CHAOSLAB_{app.upper()}_URL"] = self.service_url(app)
            if f"{app}-metrics" in OFFSETS:
                # Where the service is meant to serve its metrics (its own listener).
                found[f"CHAOSLAB_{app.upper()}_METRICS_URL"] = self.service_url(f"{app}-metrics") + "/metrics"
        if "prometheus" in present:
            # With the login in the URL, `curl $CHAOSLAB_PROMETHEUS_URL/...` works as it stands.
            login = f"{PROMETHEUS_USER}:{self.secrets.prometheus}"
            found["CHAOSLAB_PROMETHEUS_URL"] = f"http://{login}@127.0.0.1:{self.ports['prometheus']}"
            found["CHAOSLAB_PROMETHEUS_USER"] = PROMETHEUS_USER
            found["CHAOSLAB_PROMETHEUS_PASSWORD"] = self.secrets.prometheus
        if "toxiproxy" in present:
            found["CHAOSLAB_TOXIPROXY_URL"] = self.toxiproxy_url
            if self.run.toxiproxy_socket.exists():
                # Its API is on this socket only: `curl --unix-socket "$CHAOSLAB_TOXIPROXY_SOCKET"
                # http://toxiproxy/proxies` (docs/isolation.md).
                found["CHAOSLAB_TOXIPROXY_SOCKET"] = str(self.run.toxiproxy_socket)
        found["CHAOSLAB_RUN_DIR"] = str(self.run.dir)
        return found

    # -- specs ---------------------------------------------------------------
    def context(self) -> LabContext:
        state = self.run.read_state()
        return LabContext(
            run=self.run,
            ports=self.ports,
            services=list(self.scenario.services),
            seed=self.run.info.seed,
            product_rows=self.scenario.data.products,
            load=self.scenario.load,
            env_overrides=state.env_overrides,
            scrape_overrides=state.scrape_overrides,
            session=state.session,
        )

    def specs(self) -> list[ServiceSpec]:
        """The desired services now: the scenario's, plus the load while it is on."""
        ctx = self.context()
        state = self.run.read_state()
        specs = [DEFINITIONS[name].spec(ctx) for name in self.scenario.services]
        if state.load_on:
            specs.append(DEFINITIONS["locust"].spec(ctx))
        # A generation bump is a restart with nothing else changed (a redeploy).
        generations = state.generations
        by_name = {s.name: s.model_copy(update={"generation": generations.get(s.name, 0)}) for s in specs}
        for name, change in state.liveness_overrides.items():
            spec = by_name.get(name)
            if spec is not None and spec.liveness is not None:
                # Validated, not copied: the override's numbers take the check's own types, so the
                # spec (and its fingerprint) is the one the supervisor reads back from desired.json.
                liveness = type(spec.liveness).model_validate({**spec.liveness.model_dump(), **change})
                by_name[name] = spec.model_copy(update={"liveness": liveness})
        return [by_name[name] for name in start_order(specs)]

    def apply(self, timeout_s: float = 120.0) -> None:
        """Bring the runtime in line with ``specs()``."""
        self.runtime.up(self.specs(), timeout_s=timeout_s)

    def restart(self, service: str) -> None:
        """Restart ``service`` (from its working copy) and wait until it is healthy."""
        generations = self.run.read_state().generations
        generations[service] = generations.get(service, 0) + 1
        self.run.write_state(generations=generations)
        self.apply()

    def set_env(self, service: str, env: dict[str, str | None]) -> dict[str, str | None]:
        """Change a service's environment and restart it; returns the previous overrides."""
        overrides = self.run.read_state().env_overrides
        current = dict(overrides.get(service, {}))
        previous: dict[str, str | None] = {key: current.get(key) for key in env}
        for key, value in env.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        overrides[service] = current
        self.run.write_state(env_overrides=overrides)
        self.apply()
        return previous

    def set_liveness(self, service: str, change: dict[str, float] | None) -> dict[str, float] | None:
        """Change a service's liveness check (None: as shipped) and redeploy it; returns the last change."""
        overrides = self.run.read_state().liveness_overrides
        previous = overrides.pop(service, None)
        if change is not None:
            overrides[service] = change
        self.run.write_state(liveness_overrides=overrides)
        self.apply()
        return previous

    def service_status(self, service: str) -> ServiceStatus | None:
        """What the runtime reports of ``service`` now (restarts, last exit); None when it has none."""
        return self.runtime.status().get(service)

    def act_on(self, service: str, action: ServiceAction) -> None:
        """Kill, pause or resume one service through the runtime (the `service` fault)."""
        self.runtime.act(service, action)

    def set_scrape(self, job: str, change: dict[str, object] | None) -> dict[str, object] | None:
        """Change one scrape job (None: as shipped), rewrite the config, reload; returns the last change."""
        overrides = self.run.read_state().scrape_overrides
        previous = overrides.pop(job, None)
        if change is not None:
            overrides[job] = change
        self.run.write_state(scrape_overrides=overrides)
        write_config(self.context())
        self.prometheus.reload()
        return previous
