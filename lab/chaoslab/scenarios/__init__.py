"""Scenarios: one folder per incident under scenarios/, validated by the schema in model.py."""

from chaoslab.scenarios.catalog import SCENARIOS_DIR, list_scenarios, load_scenario
from chaoslab.scenarios.model import Scenario

__all__ = ["SCENARIOS_DIR", "Scenario", "list_scenarios", "load_scenario"]
