# CoCoOp 16-shot classification on dtd: all classes, 16 shots per class.
# The CoCoOp paper has no few-shot table; its base-to-novel schedule is used (10 epochs,
# batch 1), with CoOp's few-shot protocol.
_base_ = [
    '../../_base_/models/cocoop_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/dtd.py',
    '../../_base_/schedules/cocoop_ep10_bs1.py',
]

train_dataloader = dict(batch_size=1, dataset=dict(num_shots=16))
val_dataloader = dict(dataset=dict(num_shots=16))
test_dataloader = dict(dataset=dict(num_shots=16))
