# CoOp 8-shot classification on oxford_flowers (CoOp paper Sec. 4.1): all classes, 8 shots
# per class; 100 epochs as in the authors' scripts (50 for 1-2 shots, 100 for 4-8,
# 200 for 16; ImageNet 50).
_base_ = [
    '../../_base_/models/coop_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/oxford_flowers.py',
    '../../_base_/schedules/coop_ep100_bs32.py',
]

train_dataloader = dict(dataset=dict(num_shots=8))
val_dataloader = dict(dataset=dict(num_shots=8))
test_dataloader = dict(dataset=dict(num_shots=8))
