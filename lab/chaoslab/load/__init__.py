"""Load: Locust user classes per scenario, run headless in their own process."""

from chaoslab.specs.load import LoadPlan

__all__ = ["LoadPlan"]
