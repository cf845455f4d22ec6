"""The lab's tests: they run from a clone (the scenario files, docs and compose file are read from it)."""

from pathlib import Path

# The clone: lab/, services/, scenarios/, docs/ …
REPO_ROOT = Path(__file__).resolve().parent.parent
