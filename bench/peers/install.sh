#!/usr/bin/env bash
# Installs the peer stacks of `flowtune bench compare` at the pinned versions of requirements.txt,
# into the Python that FLOWTUNE_PYTHON names (./scripts/test sets it to the project's .venv), else
# python3. torch's CPU build (2.13.0+cpu) comes from the machine's local wheel directory /opt/wheels
# when it exists (no network needed for it), otherwise from PyTorch's CPU package index; jax from PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${FLOWTUNE_PYTHON:-python3}"
args=(--quiet --disable-pip-version-check)
if [ -d /opt/wheels ]; then
    args+=(--find-links /opt/wheels)
else
    args+=(--extra-index-url https://download.pytorch.org/whl/cpu)
fi
"$python" -m pip install "${args[@]}" -r "$here/requirements.txt"
