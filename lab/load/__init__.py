"""Load: Locust user classes per scenario, run headless in their own process."""

from lab.specs.load import LoadPlan

__all__ = ["LoadPlan"]
