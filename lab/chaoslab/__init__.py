"""chaoslab: a fault-injection lab for learning incident response on real infrastructure."""

__version__ = "0.1.0"
