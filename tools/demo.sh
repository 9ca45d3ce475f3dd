#!/usr/bin/env bash
# The embedded default: install, then HiCroPL base-to-novel generalization on
# WorldObjects of the miniature benchmark suite with the world CLIP shipped in
# checkpoints/ (a small CLIP pretrained on the synthetic world): zero-shot
# CLIP first, then HiCroPL trained on the 24 base classes and its selected
# checkpoint tested on all 48 classes; prints base / novel / HM accuracy of
# both, the checkpoint, logs and results. Needs no download; the dataset is
# generated on first use; about 3 minutes on 2 CPU cores once installed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$(bash "$ROOT/tools/setup_env.sh" | tail -n 1)
CONFIG=${CONFIG:-$ROOT/configs/hicropl/base2novel/world_objects.py}
ZERO_SHOT_CONFIG=${ZERO_SHOT_CONFIG:-$ROOT/configs/zsclip/base2novel/world_objects.py}
WORK_DIR=${WORK_DIR:-$ROOT/work_dirs/demo}
ZERO_SHOT_METRICS="$WORK_DIR/zero_shot/test_metrics.json"
cd "$ROOT"
"$VENV/bin/python" tools/test.py "$ZERO_SHOT_CONFIG" --work-dir "$WORK_DIR/zero_shot" \
    --out "$ZERO_SHOT_METRICS" --out-item metrics
"$VENV/bin/python" tools/run_protocol.py "$CONFIG" --work-dir "$WORK_DIR/hicropl" "$@"
"$VENV/bin/python" tools/demo_summary.py "$CONFIG" "$WORK_DIR/hicropl" \
    "$WORK_DIR/hicropl/results.json" --zero-shot "$ZERO_SHOT_METRICS"
