#!/usr/bin/env bash
# Download, into .whl/ (ignored by git), the wheels of the plugin's
# dependencies that a GPU machine with its own torch lacks, for that machine's
# Python (default 3.12, x86-64 Linux), at the versions of constraints.txt.
# bash tools/gpu_check.sh then installs them with --no-deps beside the
# preinstalled torch / torchvision / numpy, which it keeps.
#
#   bash tools/gpu_check_wheels.sh [PYTHON_VERSION]
#
# The list: what tools/gpu_check.py imports beyond a PyTorch image
# (torch, torchvision, numpy, matplotlib, opencv, timm, huggingface_hub,
# safetensors, regex, rich, einops, pyyaml, click, markdown, tqdm); add names
# with EXTRA_WHEELS="name ...".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYVER=${1:-3.12}
PY=${PYTHON:-python3}
NAMES="mmengine mmcv-lite mmpretrain open_clip_torch addict yapf platformdirs termcolor
mat4py modelindex model-index ordered-set ftfy wcwidth importlib-metadata lazy-importer
${EXTRA_WHEELS:-}"
pin() {  # NAME==VERSION from constraints.txt (names compared normalised)
  local want; want=$(echo "$1" | tr 'A-Z_.' 'a-z--')
  grep -v '^#' "$ROOT/constraints.txt" | while IFS= read -r line; do
    [ "$(echo "${line%%==*}" | tr 'A-Z_.' 'a-z--')" = "$want" ] && echo "$line" && break
  done
}
REQS=()
for name in $NAMES; do
  req=$(pin "$name")
  [ -n "$req" ] || { echo "constraints.txt has no pin for $name" >&2; exit 1; }
  REQS+=("$req")
done
rm -rf "$ROOT/.whl"
mkdir -p "$ROOT/.whl"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d "$ROOT/.whl" "${REQS[@]}"
ls "$ROOT/.whl"
du -sh "$ROOT/.whl"
