# CoCoOp base-to-novel generalization on ucf101: train on the base classes (16 shots),
# test once on all classes (base / novel / HM), as in the CoCoOp paper (Sec. 4.1, Table 1).
_base_ = [
    '../../_base_/models/cocoop_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/ucf101.py',
    '../../_base_/schedules/cocoop_ep10_bs1.py',
]

train_dataloader = dict(batch_size=1, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
