# CoOp base-to-novel generalization on oxford_pets: train on the base classes (16 shots),
# test once on all classes (base / novel / HM), as CoCoOp's paper runs its CoOp baseline.
_base_ = [
    '../../_base_/models/coop_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/oxford_pets.py',
    '../../_base_/schedules/coop_ep50_bs32.py',
]

train_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
