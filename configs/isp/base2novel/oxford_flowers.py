# ISP base-to-novel generalization on oxford_flowers: train on the base classes
# (16 shots), test once on all classes (base / novel / HM).
# Schedule: IVLP's (SGD lr 0.0025, batch 4, 20 epochs; the ISP abstract gives none).
_base_ = [
    '../../_base_/models/isp_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/oxford_flowers.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
