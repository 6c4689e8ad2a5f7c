#!/usr/bin/env bash
# Runs every test: the Swift core's unit tests (swift test) and the Python package's (pytest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
echo "== swift test"
swift test
echo "== pytest"
.venv/bin/python -m pytest -q "$@"
