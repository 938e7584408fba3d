#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv (pinned by requirements.lock) and runs a job.
#   bash run.sh demo   -> generate the demo province, run every stage, write outputs (see README)
#   bash run.sh test   -> run the whole test suite
#   bash run.sh <any hospeval command...>
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ] || [ requirements.lock -nt .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "[run.sh] setting up .venv (pinned dependencies from requirements.lock)..."
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c requirements.lock -e ".[dev]"
  touch .venv/.installed
fi
cmd=${1:-demo}
shift || true
case "$cmd" in
  test)
    exec .venv/bin/python -m pytest -n 2 "$@" ;;
  demo)
    exec .venv/bin/hospeval demo "$@" ;;
  *)
    exec .venv/bin/hospeval "$cmd" "$@" ;;
esac
