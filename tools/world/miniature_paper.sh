#!/usr/bin/env bash
# The miniature paper: every method with configs for the miniature benchmark suite
# (synthetic world, world CLIP) over the four protocols and 3 seeds, through
# tools/sweep.py (finished runs are skipped, interrupted ones resumed: run it again
# after an interruption), then the results report (tables and plots) into docs/miniature/,
# made from the runs' results.json copied into docs/miniature/runs/ (so that
# "python tools/analysis/report.py docs/miniature/runs --out-dir docs/miniature"
# makes the tables again from the repository alone).
#   bash tools/world/miniature_paper.sh               # everything
#   METHODS="hicropl coop" SEEDS="1" PROTOCOLS="base2novel" bash tools/world/miniature_paper.sh
#   bash tools/world/miniature_paper.sh --dry-run     # the plan: every run and its status
# Extra arguments go to every tools/sweep.py call (e.g. --gpus 4).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-python}
WORK_ROOT=${WORK_ROOT:-$ROOT/work_dirs/miniature}
OUT_DIR=${OUT_DIR:-$ROOT/docs/miniature}
SEEDS=${SEEDS:-1 2 3}
SHOTS=${SHOTS:-1 4 16}
PROTOCOLS=${PROTOCOLS:-base2novel fewshot cross_dataset domain_generalization}
if [[ -z "${METHODS:-}" ]]; then
    METHODS=$(cd "$ROOT/configs" && ls -d */*/world_objects*.py | cut -d/ -f1 | grep -v '^_' \
        | sort -u | tr '\n' ' ')
fi
cd "$ROOT"
DRY_RUN=0
FAILED=""
for arg in "$@"; do [[ "$arg" == --dry-run ]] && DRY_RUN=1; done
for protocol in $PROTOCOLS; do
    methods=""
    for m in $METHODS; do
        ls "configs/$m/$protocol"/world_*.py > /dev/null 2>&1 && methods="$methods $m"
    done
    [[ -z "$methods" ]] && continue
    # a failed run does not stop the other protocols or the report
    "$PYTHON" tools/sweep.py --methods $methods --protocol "$protocol" --datasets miniature \
        --seeds $SEEDS --shots $SHOTS --work-root "$WORK_ROOT" "$@" || FAILED="$FAILED $protocol"
done
if [[ $DRY_RUN == 0 ]]; then
    "$PYTHON" tools/world/collect_runs.py "$WORK_ROOT" "$OUT_DIR/runs"
    "$PYTHON" tools/analysis/report.py "$OUT_DIR/runs" --out-dir "$OUT_DIR" --only-found \
        --seeds $SEEDS --shots $SHOTS --methods $METHODS
fi
if [[ -n "$FAILED" ]]; then
    echo "Some runs failed (protocols:$FAILED): see the FAILED lines above; run again to resume them." >&2
    exit 1
fi
