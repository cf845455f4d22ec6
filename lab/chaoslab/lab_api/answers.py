"""What `status`, `alerts`, `query` and `verify` answer, as the JSON documents `--json` prints
(docs/cli-json.md): worked out here once, for the lab API's server and for the CLI in its own
process alike. The CLI only formats them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaoslab.output import to_jsonable

if TYPE_CHECKING:
    from chaoslab.observability.prometheus import PrometheusClient
    from chaoslab.running_lab import LiveLab


def status_answer(live: LiveLab) -> dict[str, Any]:
    """Services with health, the scenario's key signals now, the firing alerts, the session."""
    from chaoslab.reports.summary import format_value
    from chaoslab.scenarios.observe import measure
    from chaoslab.service_status import HEALTHY_STATES

    state = live.run.read_state()
    services = list(live.runtime.status().values())
    signals = []
    for name in live.scenario.summary_probes:
        probe = live.scenario.probes[name]
        value, error = measure(live.scenario, live, name)
        signals.append(
            {
                "probe": name,
                "description": probe.description or name,
                "unit": probe.unit,
                "value": value,
                "text": error or format_value(value, probe.unit),
                "error": error,
            }
        )
    return to_jsonable(
        {
            "run": live.run.info,
            "phase": state.phase,
            "healthy": all(s.state in HEALTHY_STATES for s in services),
            "services": services,
            "signals": signals,
            "firing": sorted(live.prometheus.firing()),
            "session": state.session.summary() if state.session else None,
        }
    )


def alerts_answer(prometheus: PrometheusClient) -> dict[str, Any]:
    """The alerts of the lab's Prometheus, pending and firing, with the chapter's names."""
    return {
        "alerts": [
            {
                "name": alert["labels"]["alertname"],
                "chapter_name": alert.get("annotations", {}).get("chapter_name"),
                "state": alert["state"],
                "active_at": alert.get("activeAt"),
                "value": alert.get("value"),
                "summary": alert.get("annotations", {}).get("summary"),
                "labels": alert["labels"],
                "annotations": alert.get("annotations", {}),
            }
            for alert in prometheus.alerts()
        ]
    }


def query_answer(prometheus: PrometheusClient, promql: str) -> dict[str, Any]:
    """A PromQL query's instant vector: each series' labels, timestamp and value."""
    return {
        "query": promql,
        "result": [
            {"metric": s["metric"], "timestamp": s["value"][0], "value": s["value"][1]}
            for s in prometheus.query(promql)
        ],
    }


def verify_answer(live: LiveLab, wait_s: int) -> dict[str, Any]:
    """The recovery checks now (or within ``wait_s``), recorded on the timeline; ``verdict`` is the
    document `verify --json` prints, ``units`` each probe's unit for the table."""
    from chaoslab.reports.verdict import verdict_document
    from chaoslab.runs import Timeline
    from chaoslab.scenarios.observe import observe

    expectation = live.scenario.recovery.model_copy(update={"within_s": max(wait_s, 1)})
    phase = observe(
        live.scenario,
        live,
        expectation,
        name="verify",
        latch=False,
        wait=wait_s > 0,
        baseline=live.baseline_readings(),
    )
    Timeline(live.run.timeline_path).record("verified", ok=phase.ok, by="learner")
    if phase.ok:
        live.run.write_state(phase="verified")
    return to_jsonable(
        {
            "verdict": verdict_document(phase, run=live.run.id, scenario=live.scenario.id),
            "units": {name: probe.unit for name, probe in live.scenario.probes.items()},
        }
    )
