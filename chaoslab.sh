#!/usr/bin/env bash
# One entry point that does all set-up on a fresh Debian machine, then runs what you ask:
#   ./chaoslab.sh demo    install everything, then `chaoslab run db-pool-exhaustion --seed 1`
#   ./chaoslab.sh test    install everything, then lint, type-check and the whole test suite
#   ./chaoslab.sh setup   install only (Python venv, PostgreSQL, Redis, Prometheus, Toxiproxy, Chromium)
#   ./chaoslab.sh lock    rewrite requirements.lock and requirements-dev.lock from pyproject.toml
#   ./chaoslab.sh ARGS    install, then `chaoslab ARGS`
set -euo pipefail
cd "$(dirname "$0")"

venv=.venv
python=${PYTHON:-python3}

# install [LOCK]: the venv from a lock (default requirements.lock: what the lab runs;
# requirements-dev.lock adds the test and lint tools).
install() {
  local lock=${1:-requirements.lock}
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
  fi
  # The lock pins the whole dependency tree with hashes; the project goes in editable, without deps.
  # A clone from before hatchling holds setuptools' build record, whose entry points (lab.cli,
  # lab.pytest_plugin) Python finds first from this folder: generated, never anyone's writing.
  rm -rf chaoslab.egg-info
  "$venv/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$lock"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -e .
  # PostgreSQL, Redis, Prometheus, Chromium from Debian; Toxiproxy built with `go install` (pinned).
  "$venv/bin/python" -m chaoslab.setup
}

command=${1:-help}
case "$command" in
  setup)
    install
    ;;
  demo)
    install
    shift
    exec "$venv/bin/chaoslab" run db-pool-exhaustion --seed 1 "$@"
    ;;
  lock)
    install requirements-dev.lock
    # Only wheels: the offline app image installs the same files with the same hashes, and a
    # wheel built here from an sdist would not match. An existing lock keeps its versions;
    # `./chaoslab.sh lock --upgrade` moves them.
    shift
    for set in runtime dev; do
      if [ "$set" = runtime ]; then out=requirements.lock extras=(--extra docker --extra browser)
      else out=requirements-dev.lock extras=(--all-extras); fi
      "$venv/bin/uv" pip compile pyproject.toml "${extras[@]}" --python-version 3.11 \
        --only-binary :all: --generate-hashes --custom-compile-command "./chaoslab.sh lock" \
        --quiet -o "$out" "$@"
    done
    ;;
  test)
    install requirements-dev.lock
    # The docker-marked tests run the lab in containers: an engine, and the offline images.
    "$venv/bin/python" -m chaoslab.runtimes.docker
    shift
    "$venv/bin/ruff" check .
    "$venv/bin/ruff" format --check .
    "$venv/bin/mypy"
    # Labs on disjoint port blocks run side by side: every check follows its own run's baseline.
    # One test at a time per worker: the slow ones are spread as workers free up, not pre-dealt.
    exec "$venv/bin/python" -m pytest -n "${CHAOSLAB_TEST_WORKERS:-2}" --maxschedchunk 1 "$@"
    ;;
  help|-h|--help)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    install
    exec "$venv/bin/chaoslab" "$@"
    ;;
esac
