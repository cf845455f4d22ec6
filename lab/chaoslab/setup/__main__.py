"""`python -m chaoslab.setup`: install the programs the lab needs (used by chaoslab.sh before the CLI exists).

The docker runtime's own (docker.io, an engine, the offline images): `python -m chaoslab.runtimes.docker`.
"""

import sys

from chaoslab.errors import LabError
from chaoslab.setup.binaries import install_missing


def main() -> None:
    echo = lambda message: print(message, file=sys.stderr)  # noqa: E731
    try:
        for done in install_missing(echo=echo):
            print(f"installed {done}", file=sys.stderr)
    except LabError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        sys.exit(error.exit_code)


main()
