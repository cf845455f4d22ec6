"""`python -m lab.setup`: install the programs the lab needs (used by chaoslab.sh before the CLI exists).

The docker runtime's own (docker.io, an engine, the offline images): `python -m lab.runtimes.docker`.
"""

import sys

from lab.errors import LabError
from lab.setup.binaries import install_missing


def main() -> None:
    echo = lambda message: print(message, file=sys.stderr)  # noqa: E731
    try:
        for done in install_missing(echo=echo):
            print(f"installed {done}", file=sys.stderr)
    except LabError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        sys.exit(error.exit_code)


main()
