#!/usr/bin/env bash
# The portable build on a CPU without AVX: the core's unit tests and the package's core subset (its
# API, and gradients and training against the NumPy reference) under qemu-user emulating an Intel
# Nehalem (SSE4.2, no AVX). Run by scripts/test.sh after `swift test` and the package install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v qemu-x86_64 >/dev/null; then
    echo "== installing qemu-user (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null
fi
# OPENBLAS_CORETYPE (set on some images) would force AVX2 kernels on NumPy's own OpenBLAS; ours
# ignores it, NumPy's would die on this CPU.
nehalem() { env -u OPENBLAS_CORETYPE -u SGDSWIFT_ISA qemu-x86_64 -cpu Nehalem "$@"; }

echo "== on an emulated Nehalem: $(nehalem .venv/bin/python -c 'import sgdswift as sg; c = sg.get_config(); print("instruction set", c["instruction_set"], "| matrix kernels", c["matrix_kernels"])')"
nehalem .venv/bin/python -c 'import sgdswift as sg; assert sg.get_config()["instruction_set"] == "baseline"'
echo "== swift unit tests on an emulated Nehalem"
nehalem "$(swift build --show-bin-path)/sgdswiftPackageTests.xctest"
echo "== pytest core subset on an emulated Nehalem"
nehalem .venv/bin/python -m pytest -q -p no:cacheprovider Tests/python/test_core_api.py Tests/python/test_reference.py
