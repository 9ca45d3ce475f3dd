#!/usr/bin/env bash
# The embedded default: install, then train HiCroPL base-to-novel on the
# generated demo dataset with a small random-weight CLIP and test the
# checkpoint. Needs no download; about 2-3 minutes on 2 CPU cores.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$(bash "$ROOT/tools/setup_env.sh" | tail -n 1)
CONFIG=${CONFIG:-$ROOT/configs/hicropl/hicropl_demo.py}
WORK_DIR=${WORK_DIR:-$ROOT/work_dirs/hicropl_demo}
cd "$ROOT"
"$VENV/bin/python" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "$@"
CHECKPOINT=$(cat "$WORK_DIR/last_checkpoint")
"$VENV/bin/python" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR"
echo "Demo done. Note: the demo CLIP has random weights, so its accuracy only"
echo "shows that training works; accuracy is meaningful only with real CLIP weights."
