#!/usr/bin/env bash
# Does `pip install -e .` keep the torch that is already installed?
#
#   bash tools/check_install.sh TORCH_REQ TORCHVISION_REQ [PYTEST_ARGS...]
#   e.g. bash tools/check_install.sh torch==2.11.0 torchvision==0.26.0 \
#            tests/test_models/test_prompt_core.py
#
# Creates a fresh virtual environment (under $CHECK_INSTALL_DIR, default a new
# temporary folder), installs TORCH_REQ and TORCHVISION_REQ first (as a user
# with their own torch build would), then `pip install -e .[tests]` of this
# repository WITHOUT constraints.txt, and checks that torch and torchvision
# kept their versions. With PYTEST_ARGS it then runs those tests in that
# environment (a small selection: the whole suite is too long for one job).
# The last line printed is one JSON object with the versions and the verdict.
# Exit status: 0 when torch and torchvision were kept (and the tests passed).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -lt 2 ]; then
  echo "usage: bash tools/check_install.sh TORCH_REQ TORCHVISION_REQ [PYTEST_ARGS...]" >&2
  exit 2
fi
TORCH_REQ=$1; TV_REQ=$2; shift 2
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
DIR=${CHECK_INSTALL_DIR:-$(mktemp -d -t hicropl-install-XXXXXX)}
VENV=$DIR/venv
"$PYTHON" -m venv "$VENV"
PY=$VENV/bin/python
versions() {
  "$PY" -c 'import importlib.metadata as m, json
print(json.dumps({n: m.version(n) for n in ("torch", "torchvision")}))'
}
start=$(date +%s)
"$PY" -m pip install -q "$TORCH_REQ" "$TV_REQ"
BEFORE=$(versions)
"$PY" -m pip install -q -e "$ROOT[tests]"
AFTER=$(versions)
install_s=$(( $(date +%s) - start ))
KEPT=false; [ "$BEFORE" = "$AFTER" ] && KEPT=true
TESTS=null; tests_s=0
if [ "$KEPT" = true ] && [ $# -gt 0 ]; then
  t0=$(date +%s)
  if (cd "$ROOT" && "$PY" -m pytest -q -p no:cacheprovider "$@"); then TESTS='"passed"'; else TESTS='"failed"'; fi
  tests_s=$(( $(date +%s) - t0 ))
fi
OTHERS=$("$PY" -c 'import importlib.metadata as m, json
print(json.dumps({n: m.version(n) for n in ("mmengine", "mmcv-lite", "mmpretrain", "open_clip_torch", "numpy")}))')
echo "{\"python\": \"$("$PY" -c 'import platform; print(platform.python_version())')\", \"before\": $BEFORE, \"after\": $AFTER, \"kept\": $KEPT, \"others\": $OTHERS, \"install_s\": $install_s, \"tests\": $TESTS, \"tests_s\": $tests_s, \"venv\": \"$VENV\"}"
[ "$KEPT" = true ] && [ "$TESTS" != '"failed"' ]
