#!/usr/bin/env bash
# Proves that the wheels in dist/ (scripts/wheel.sh builds them from the sdist) install and train where
# a user has nothing of ours. Each place runs scripts/wheel_train.py, from a directory outside the
# repository, in an environment with no Swift on PATH:
#   (a) a fresh venv of every CPython found (3.10 gets its own wheel; 3.11, 3.12, 3.13 and Debian's
#       python3 the abi3 one), NumPy from PyPI;
#   (b) a minimal Debian bookworm made by debootstrap, holding only python3, python3-venv and pip: no
#       BLAS, no compiler, no Swift;
#   (c) an emulated Intel Nehalem (qemu-user; SSE4.2, no AVX), where the baseline kernels must run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

abi3=$(ls dist/sgdswift-*-cp311-abi3-manylinux*.whl)
cp310=$(ls dist/sgdswift-*-cp310-cp310-manylinux*.whl 2>/dev/null || true)
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v qemu-x86_64 >/dev/null || missing+=(qemu-user)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/sgdswift-wheel-check.XXXXXX)
chroot_dir=$work/debian
cleanup() {
    mountpoint -q "$chroot_dir/proc" 2>/dev/null && as_root umount "$chroot_dir/proc"
    as_root rm -rf "$work"
}
trap cleanup EXIT
# What a user's shell has: no Swift, none of this machine's OPENBLAS_* settings, nothing of ours.
clean_env() { env -i HOME="$HOME" PATH=/usr/bin:/bin LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"; }
clean_env sh -c '! command -v swift >/dev/null' || { echo "error: swift is on the clean PATH" >&2; exit 1; }

echo "== (a) fresh virtual environments"
pythons=("$HOME"/.pyenv/versions/3.1[0-9].*/bin/python3 /usr/bin/python3)
for python in "${pythons[@]}"; do
    [ -x "$python" ] || continue
    minor=$("$python" -c 'import sys; print(sys.version_info[1])')
    wheel=$abi3
    if [ "$minor" -lt 11 ]; then
        [ -n "$cp310" ] || { echo "error: no wheel for $python (run scripts/wheel.sh with a python3.10)" >&2; exit 1; }
        wheel=$cp310
    fi
    venv=$work/venv-$(basename "$(dirname "$(dirname "$python")")")-3.$minor
    clean_env "$python" -m venv "$venv"
    clean_env "$venv/bin/pip" install -q "$wheel"
    (cd "$work" && clean_env "$venv/bin/python" "$ROOT/scripts/wheel_train.py")
    [ "$minor" = 11 ] && nehalem_venv=$venv
done

echo "== (b) a minimal Debian (debootstrap: python3, python3-venv, python3-pip only)"
as_root debootstrap --variant=minbase --include=python3,python3-venv,python3-pip bookworm "$chroot_dir" \
    http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
mkdir -p "$chroot_dir/wheels"
cp "$abi3" scripts/wheel_train.py "$chroot_dir/wheels/"
# NumPy's wheel is fetched here: the chroot installs offline, from /wheels only.
"$ROOT/.venv/bin/pip" download -q --only-binary=:all: --platform manylinux_2_28_x86_64 --python-version 3.11 \
    --implementation cp --dest "$chroot_dir/wheels" numpy
as_root mount -t proc proc "$chroot_dir/proc"
as_root chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 sh -euc '
    if dpkg-query -W -f "\${Package}\n" | grep -iE "blas|lapack|^gcc-[0-9]+$|^cpp|swift"; then
        echo "error: the chroot has a BLAS, a compiler or Swift (above)" >&2; exit 1
    fi
    for tool in cc gcc swift; do ! command -v $tool >/dev/null || { echo "error: $tool in the chroot" >&2; exit 1; }; done
    python3 -m venv /opt/venv
    /opt/venv/bin/pip install -q --no-index --find-links /wheels sgdswift
    cd / && /opt/venv/bin/python /wheels/wheel_train.py'

echo "== (c) an emulated Nehalem (qemu-x86_64 -cpu Nehalem: SSE4.2, no AVX)"
(cd "$work" && clean_env qemu-x86_64 -cpu Nehalem "$nehalem_venv/bin/python" "$ROOT/scripts/wheel_train.py" baseline)
