"""SQL probes: a scalar from the lab database, or what EXPLAIN ANALYZE says of a query."""

from __future__ import annotations

import json
from typing import Literal

from chaoslab.calls import postgres
from chaoslab.lab_access import LabAccess
from chaoslab.probes.base import Probe, Value, is_number


class SqlProbe(Probe):
    """The first column of the first row of ``query`` (as the database owner, not via Toxiproxy)."""

    kind: Literal["sql"] = "sql"
    query: str

    def measure(self, lab: LabAccess) -> Value:
        with postgres(lab.admin_dsn, what="the sql probe's query") as conn:
            row = conn.execute(self.query.encode()).fetchone()
        if row is None:
            return None
        value = row[0]
        return float(value) if is_number(value) else value


def plan_node_types(plan: dict) -> list[str]:
    """Every node of a JSON plan as "Node Type on relation", depth first."""
    label = plan["Node Type"] + (f" on {plan['Relation Name']}" if "Relation Name" in plan else "")
    return [label] + [n for child in plan.get("Plans", []) for n in plan_node_types(child)]


class ExplainProbe(Probe):
    """EXPLAIN ANALYZE of ``query``: its execution time in ms, or its plan as text."""

    kind: Literal["explain"] = "explain"
    query: str
    output: Literal["execution_ms", "plan"] = "plan"

    def measure(self, lab: LabAccess) -> Value:
        with postgres(lab.admin_dsn, what="the explain probe's EXPLAIN ANALYZE") as conn:
            row = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {self.query}".encode()).fetchone()
        assert row is not None
        result = row[0] if isinstance(row[0], list) else json.loads(row[0])
        top = result[0]
        if self.output == "execution_ms":
            return float(top["Execution Time"])
        return " / ".join(plan_node_types(top["Plan"]))
