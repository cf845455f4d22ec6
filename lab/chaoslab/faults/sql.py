"""SQL fault: run a statement on the lab database (drop an index, create one as a fix)."""

from __future__ import annotations

from typing import Any, Literal

from chaoslab.calls import CHANGE_STATEMENT_TIMEOUT_S, postgres
from chaoslab.faults.base import Fault
from chaoslab.lab_access import LabAccess


class SqlFault(Fault):
    """Run ``sql`` as the database owner; ``revert_sql`` undoes it when given."""

    kind: Literal["sql"] = "sql"
    sql: str
    revert_sql: str | None = None

    def describe(self) -> str:
        return f"SQL: {self.sql.strip()}"

    def inject(self, lab: LabAccess) -> dict[str, Any]:
        with postgres(
            lab.admin_dsn, what="the SQL step", statement_timeout_s=CHANGE_STATEMENT_TIMEOUT_S
        ) as conn:
            conn.execute(self.sql.encode())
        return {}

    def revert(self, lab: LabAccess, memento: dict[str, Any]) -> None:
        if self.revert_sql:
            with postgres(
                lab.admin_dsn, what="the SQL step's revert", statement_timeout_s=CHANGE_STATEMENT_TIMEOUT_S
            ) as conn:
                conn.execute(self.revert_sql.encode())
