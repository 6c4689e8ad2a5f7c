#!/usr/bin/env bash
# Runs every test: the Swift core's unit tests (swift test), then the Python package's (pytest) twice:
# in .venv (a pip NumPy 2.x) and in .venv-debian (Debian's /usr/bin/python3 with apt's python3-numpy),
# and between them a subset against the C extension built with AddressSanitizer (scripts/memcheck.sh)
# and the core's tests on an emulated CPU without AVX (scripts/nehalem.sh); then builds the sdist and,
# from it, the wheels (scripts/wheel.sh), and proves they install and train in fresh venvs, in a minimal
# Debian and on an emulated Nehalem (scripts/check_wheel.sh). Before those, the documentation site is
# built with its examples run (scripts/docs.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
echo "== swift test"
swift test
echo "== pytest ($(.venv/bin/python --version), NumPy $(.venv/bin/python -c 'import numpy; print(numpy.__version__)'))"
.venv/bin/python -m pytest -q "$@"
scripts/memcheck.sh
scripts/nehalem.sh
scripts/setup_debian.sh
echo "== pytest (Debian $(.venv-debian/bin/python --version), NumPy $(.venv-debian/bin/python -c 'import numpy; print(numpy.__version__)'))"
.venv-debian/bin/python -m pytest -q "$@"
scripts/docs.sh
scripts/wheel.sh
scripts/check_wheel.sh
