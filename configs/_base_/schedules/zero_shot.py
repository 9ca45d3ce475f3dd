# No training (zero-shot): test only. The leaf configs drop the train and val
# dataloaders of their dataset base; `tools/test.py CONFIG` runs without a checkpoint.
test_cfg = dict()
