"""`python -m lab.runtimes.docker`: make the docker runtime ready (chaoslab.sh, after `python -m lab.setup`).

Installs docker.io and debootstrap, starts an engine, and builds the offline images (once; an
unchanged rebuild takes seconds).
"""

import sys

from lab.errors import LabError
from lab.runtimes.docker.dockerd import ensure_engine
from lab.runtimes.docker.images import build_images


def main() -> None:
    echo = lambda message: print(message, file=sys.stderr)  # noqa: E731
    try:
        for done in ensure_engine(echo=echo):
            print(f"installed or started {done}", file=sys.stderr)
        build_images(offline=True, echo=echo)
    except LabError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        sys.exit(error.exit_code)


main()
