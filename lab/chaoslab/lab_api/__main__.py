"""`python -m chaoslab.lab_api RUN_DIR`: the lab API server of one run (chaoslab/lab_api/server.py)."""

from chaoslab.lab_api.server import main

main()
