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
# System packages the tests and PDF reports need (Debian): a real browser for the end-to-end tests,
# CJK fonts so Chinese renders, pango for weasyprint, Java 17 for the Spark equivalence suite.
# Installed once, as root, when missing.
need_system() {
  command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && ldconfig -p | grep -q libpangoft2 \
    && command -v java >/dev/null
}
if [ "$cmd" = test ] || [ "$cmd" = demo ]; then
  if ! need_system && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[run.sh] installing chromium, fonts-noto-cjk, pango and Java 17 (apt-get)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 openjdk-17-jre-headless >/dev/null
  fi
fi
case "$cmd" in
  test)
    exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@" ;;
  demo)
    exec .venv/bin/hospeval demo "$@" ;;
  *)
    exec .venv/bin/hospeval "$cmd" "$@" ;;
esac
