# CoOp 2-shot classification on imagenet (CoOp paper Sec. 4.1): all classes, 2 shots
# per class; 50 epochs as in the authors' scripts (50 for 1-2 shots, 100 for 4-8,
# 200 for 16; ImageNet 50).
_base_ = [
    '../../_base_/models/coop_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/coop_ep50_bs32.py',
]

train_dataloader = dict(dataset=dict(num_shots=2))
test_dataloader = dict(dataset=dict(num_shots=2))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'
