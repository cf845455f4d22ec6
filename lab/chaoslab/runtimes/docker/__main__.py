"""`python -m chaoslab.runtimes.docker`: make the docker runtime ready (chaoslab.sh, after setup).

Installs docker.io and debootstrap, starts an engine, and builds the offline images (once; an
unchanged rebuild takes seconds).
"""

import sys

from chaoslab.errors import LabError
from chaoslab.runtimes.docker.dockerd import ensure_engine
from chaoslab.runtimes.docker.images import build_images


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
