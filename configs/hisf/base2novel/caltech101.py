# HISF base-to-novel generalization on caltech101: train on the base classes
# (16 shots), test once on all classes (base / novel / HM).
# Schedule: HISF preprint Sec. 4.1 (SGD lr 0.0035, batch 4, 50 epochs).
_base_ = [
    '../../_base_/models/hisf_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/caltech101.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
