# MaPLe base-to-novel generalization on eurosat: train on the base classes
# (16 shots), test once on all classes (base / novel / HM).
# Schedule: MaPLe paper Sec. 4.1 (lr 0.0035, batch 4, 5 epochs).
_base_ = [
    '../../_base_/models/maple_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/eurosat.py',
    '../../_base_/schedules/maple_ep5_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
