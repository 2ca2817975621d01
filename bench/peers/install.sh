#!/usr/bin/env bash
# Installs the peer stacks of `flowtune bench compare` at the pinned versions of requirements.txt.
# torch's CPU wheel resolves from the machine's local wheel directory (/opt/wheels) when present,
# otherwise from PyTorch's CPU index.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
args=(--quiet --disable-pip-version-check)
if [ -d /opt/wheels ]; then args+=(--find-links /opt/wheels); fi
args+=(--extra-index-url https://download.pytorch.org/whl/cpu)
python3 -m pip install "${args[@]}" -r "$here/requirements.txt"
