#!/usr/bin/env bash
# The prepared GPU check (tools/gpu_check.py; docs/gpu/README.md), one command:
#
#   bash tools/gpu_check.sh [OUT_DIR] [gpu_check.py options...]
#
# Uses the python that has torch ($PYTHON, default python3) and keeps that
# torch: when .whl/ holds wheels (bash tools/gpu_check_wheels.sh made them for
# a machine without the plugin's other dependencies), they are installed with
# --no-deps into a separate folder put on PYTHONPATH, so no installed package
# is replaced. Stops after $GPU_CHECK_TIMEOUT seconds (default 480).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-work_dirs/gpu_check}
[ $# -gt 0 ] && shift
PY=${PYTHON:-python3}
if compgen -G "$ROOT/.whl/*.whl" > /dev/null; then
  SITE=${GPU_CHECK_SITE:-/tmp/hicropl-gpu-check-site}
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$ROOT"/.whl/*.whl
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
cd "$ROOT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || true
exec timeout "${GPU_CHECK_TIMEOUT:-480}" "$PY" tools/gpu_check.py --out-dir "$OUT" "$@"
