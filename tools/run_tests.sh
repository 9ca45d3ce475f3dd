#!/usr/bin/env bash
# Install what is needed (tools/setup_env.sh) and run the whole test suite,
# parity tests included, on every CPU core (pytest-xdist, one torch thread per
# worker: several threads per process on shared cores make small kernels wait
# for each other). Extra arguments go to pytest (e.g. -m parity, or -n 1 for
# one worker).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$(bash "$ROOT/tools/setup_env.sh" | tail -n 1)
cd "$ROOT"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec "$VENV/bin/python" -m pytest -q -n "${HICROPL_TEST_WORKERS:-auto}" --dist loadfile "$@"
