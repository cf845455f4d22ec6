"""Load: Locust user classes per scenario, run headless in their own process."""

from lab.load.plan import LoadPlan

__all__ = ["LoadPlan"]
