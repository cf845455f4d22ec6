"""`python -m lab.setup`: install what the lab needs (used by chaoslab.sh before the CLI exists)."""

import sys

from lab.setup.binaries import install_missing

for done in install_missing(echo=lambda message: print(message, file=sys.stderr)):
    print(f"installed {done}", file=sys.stderr)
