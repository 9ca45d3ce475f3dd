#!/usr/bin/env bash
# The embedded default: install, then train HiCroPL base-to-novel on the
# generated demo dataset with a small random-weight CLIP, test the
# checkpoint and print a summary (checkpoint, logs, results, accuracy
# against chance). Needs no download; about 1-2 minutes on 2 CPU cores once
# installed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$(bash "$ROOT/tools/setup_env.sh" | tail -n 1)
CONFIG=${CONFIG:-$ROOT/configs/hicropl/hicropl_demo.py}
WORK_DIR=${WORK_DIR:-$ROOT/work_dirs/hicropl_demo}
METRICS="$WORK_DIR/test_metrics.json"
cd "$ROOT"
"$VENV/bin/python" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "$@"
CHECKPOINT=$(cat "$WORK_DIR/last_checkpoint")
"$VENV/bin/python" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR" \
    --out "$METRICS" --out-item metrics
"$VENV/bin/python" tools/demo_summary.py "$CONFIG" "$WORK_DIR" "$METRICS"
