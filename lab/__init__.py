"""chaoslab: a fault-injection lab for learning incident response on real infrastructure."""

from pathlib import Path

__version__ = "0.1.0"

# The repository root: services/, scenarios/ and the locustfiles live beside lab/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
