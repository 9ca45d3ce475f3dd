#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment and install the plugin
# with its test requirements. Idempotent: re-installs only when setup.py or a
# requirements file or constraints.txt changed. setup.py declares supported
# ranges; constraints.txt pins the exact versions installed here (torch 2.14.1,
# torchvision 0.29.1, ... from pip's normal sources; on our machines: the
# local wheel cache).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${HICROPL_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.hicropl-install-stamp"
WANT=$(cat "$ROOT/setup.py" "$ROOT"/requirements*.txt "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$ROOT[tests]" -c "$ROOT/constraints.txt"
  echo "$WANT" > "$STAMP"
fi
echo "$VENV"
