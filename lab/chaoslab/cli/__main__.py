"""`python -m chaoslab.cli`: the same as the `chaoslab` command."""

from chaoslab.cli import main

main()
