"""`python -m lab.cli`: the same as the `chaoslab` command."""

from lab.cli import main

main()
