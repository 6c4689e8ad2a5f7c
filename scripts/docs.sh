#!/usr/bin/env bash
# Builds the documentation site into site/: the user guide (docs/*.md), whose examples markdown-exec
# runs against the installed sgdswift, and the API reference that mkdocstrings generates from the
# docstrings of python/sgdswift. `mkdocs build --strict` makes every warning an error: a broken link
# or anchor, an example that raises, a docstring the tools cannot render.
#
# It runs in the active virtual environment when there is one (sgdswift must be importable there),
# else in .venv, made by scripts/setup.sh when missing. It installs the pinned tools of setup.cfg's
# `docs` extra into that environment, but not sgdswift itself: reinstalling it would rebuild the core.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -n "${VIRTUAL_ENV:-}" ]; then
    python="$VIRTUAL_ENV/bin/python"
else
    [ -x .venv/bin/python ] || source scripts/setup.sh
    python=.venv/bin/python
fi
if ! "$python" -c "import sgdswift" 2>/dev/null; then
    echo "error: sgdswift cannot be imported by $python; run scripts/setup.sh (or install it there) first" >&2
    exit 1
fi
echo "== documentation site ($("$python" -c 'import sgdswift; print("sgdswift", sgdswift.__version__, "from", sgdswift.__file__)'))"
mapfile -t tools < <("$python" -c 'import configparser
extras = configparser.ConfigParser()
extras.read("setup.cfg")
print(extras["options.extras_require"]["docs"].strip())')
"$python" -m pip install -q "${tools[@]}"
# Material for MkDocs announces its successor on every build; the notice is not about this site.
NO_MKDOCS_2_WARNING=1 "$python" -m mkdocs build --strict --clean --site-dir site
