#!/usr/bin/env bash
# The C extension under AddressSanitizer: builds sgdswift._core with -fsanitize=address into
# build/asan (the Swift core and OpenBLAS are linked in as usual, uninstrumented), then runs a
# representative subset of the Python tests against it with libasan preloaded. Any invalid read or
# write, use after free or double free in the extension aborts the run. Leak detection is off: the
# interpreter itself keeps memory until exit. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x .venv/bin/python ] || source scripts/setup.sh
rm -rf build/asan build/asan-temp
CFLAGS="-fsanitize=address -fno-omit-frame-pointer -O1" LDFLAGS="-fsanitize=address" \
    .venv/bin/python setup.py -q build_ext -b build/asan -t build/asan-temp >/dev/null
cp python/sgdswift/*.py build/asan/sgdswift/
libasan=$(gcc -print-file-name=libasan.so)
echo "== pytest under AddressSanitizer ($libasan)"
PYTHONPATH="$PWD/build/asan" LD_PRELOAD="$libasan" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_odr_violation=0" \
    .venv/bin/python -m pytest -q -p no:cacheprovider \
    Tests/python/test_errors.py Tests/python/test_files.py Tests/python/test_reference.py \
    Tests/python/test_loop.py Tests/python/test_optim.py Tests/python/test_threads.py "$@"
