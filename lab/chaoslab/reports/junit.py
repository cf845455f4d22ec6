"""JUnit XML for CI: one testcase per scenario run, failures listing the checks that did not hold."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chaoslab.output import to_jsonable
from chaoslab.reports.summary import format_value
from chaoslab.reports.verdict import verdict_document
from chaoslab.scenarios.observe import PhaseResult


@dataclass
class ScenarioCase:
    """One scenario's end-to-end run, as CI sees it."""

    scenario: str
    seed: int
    variant: str
    run_id: str
    seconds: float
    phases: list[PhaseResult]
    error: str | None = None

    @property
    def failing(self) -> list[str]:
        """ "phase: check (expected …, baseline …, seen …)" for every check that did not hold."""
        return [
            f"{phase.name}: {check.label} (expected {check.condition}"
            + (f", baseline {format_value(check.baseline)}" if check.baseline is not None else "")
            + f", seen {check.error or format_value(check.value)})"
            for phase in self.phases
            if not phase.ok
            for check in phase.checks
            if not check.held
        ]


def junit_tree(cases: list[ScenarioCase], suite: str = "chaoslab") -> ET.ElementTree:
    """The JUnit document: <testsuites><testsuite><testcase>… as CI systems read it."""
    failures = sum(1 for c in cases if c.error is None and c.failing)
    errors = sum(1 for c in cases if c.error is not None)
    root = ET.Element("testsuites", name=suite, tests=str(len(cases)))
    testsuite = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{sum(c.seconds for c in cases):.1f}",
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    for case in cases:
        element = ET.SubElement(
            testsuite,
            "testcase",
            classname="chaoslab.scenarios",
            name=case.scenario,
            time=f"{case.seconds:.1f}",
        )
        properties = ET.SubElement(element, "properties")
        for key, value in (("seed", case.seed), ("variant", case.variant), ("run_id", case.run_id)):
            ET.SubElement(properties, "property", name=key, value=str(value))
        if case.error is not None:
            ET.SubElement(
                element, "error", message=case.error.splitlines()[0], type="LabError"
            ).text = case.error
        elif case.failing:
            ET.SubElement(
                element, "failure", message=f"{len(case.failing)} check(s) did not hold", type="NotRecovered"
            ).text = "\n".join(case.failing)
        # People read the first lines; tools read the verdict documents `verify --json` prints.
        verdicts = [verdict_document(p, run=case.run_id, scenario=case.scenario) for p in case.phases]
        ET.SubElement(element, "system-out").text = "\n".join(
            [f"{p.name}: {'ok' if p.ok else 'FAILED'} in {p.elapsed_s:.0f}s" for p in case.phases]
            + ["verdicts (JSON, as `chaoslab verify --json`):", json.dumps(to_jsonable(verdicts))]
        )
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, cases: list[ScenarioCase]) -> Path:
    """Write the JUnit XML file for ``cases``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(cases).write(path, encoding="utf-8", xml_declaration=True)
    return path
