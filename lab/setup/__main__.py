"""`python -m lab.setup [--docker]`: install what the lab needs (used by chaoslab.sh before the CLI exists).

With --docker also the docker runtime's: docker.io and debootstrap, a running engine, and the
offline images (built once; an unchanged rebuild takes seconds).
"""

import sys

from lab.errors import LabError
from lab.setup.binaries import install_missing


def main() -> None:
    echo = lambda message: print(message, file=sys.stderr)  # noqa: E731
    try:
        for done in install_missing(echo=echo):
            print(f"installed {done}", file=sys.stderr)
        if "--docker" in sys.argv[1:]:
            from lab.runtimes.docker.images import build_images
            from lab.setup.docker import ensure_engine

            for done in ensure_engine(echo=echo):
                print(f"installed or started {done}", file=sys.stderr)
            build_images(offline=True, echo=echo)
    except LabError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        sys.exit(error.exit_code)


main()
