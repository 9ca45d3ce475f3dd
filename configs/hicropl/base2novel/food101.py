# HiCroPL base-to-novel generalization on Food101 (paper Table 1): train on the
# 51 base classes (16 shots, 50 epochs, batch 32), test once on all 101 classes:
# base (51 classes), novel (50 classes) and HM accuracy.
_base_ = [
    '../../_base_/models/hicropl_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/food101.py',
    '../../_base_/schedules/hicropl_ep50_bs32.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
