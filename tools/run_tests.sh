#!/usr/bin/env bash
# Install what is needed (tools/setup_env.sh) and run the whole test suite,
# parity tests included. Extra arguments go to pytest (e.g. -m parity).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$(bash "$ROOT/tools/setup_env.sh" | tail -n 1)
cd "$ROOT"
exec "$VENV/bin/python" -m pytest -q "$@"
