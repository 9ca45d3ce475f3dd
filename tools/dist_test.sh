#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
#        tools/dist_test.sh CONFIG GPUS [test.py args...]   (a model without
#        learned tensors, e.g. zero-shot CLIP: no checkpoint)
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT environment variables.
# GPUS processes on this machine (one per GPU; on a machine without CUDA,
# CPU processes joined with gloo). See docs/distributed.md.

CONFIG=$1
if [[ $2 =~ ^[0-9]+$ ]] && [[ -z $3 || $3 == -* ]]; then
    CHECKPOINT=""
    GPUS=$2
    shift 2
else
    CHECKPOINT=$2
    GPUS=$3
    shift 3
fi
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PYTHONPATH="${SCRIPT_DIR}/..${PYTHONPATH:+:${PYTHONPATH}}" \
python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "${SCRIPT_DIR}/test.py" \
    "$CONFIG" \
    ${CHECKPOINT:+"$CHECKPOINT"} \
    --launcher pytorch \
    "$@"
