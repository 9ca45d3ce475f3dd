# CoOp 16-shot classification on ucf101 (CoOp paper Sec. 4.1): all classes, 16 shots
# per class; 200 epochs as in the authors' scripts (50 for 1-2 shots, 100 for 4-8,
# 200 for 16; ImageNet 50).
_base_ = [
    '../../_base_/models/coop_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/ucf101.py',
    '../../_base_/schedules/coop_ep200_bs32.py',
]

train_dataloader = dict(dataset=dict(num_shots=16))
val_dataloader = dict(dataset=dict(num_shots=16))
test_dataloader = dict(dataset=dict(num_shots=16))
