# MaPLe cross-dataset protocol on caltech101: the ImageNet model of ./imagenet.py
# tested without retraining.
_base_ = [
    '../../_base_/models/maple_vit-b16_cross-dataset.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/maple_ep2_bs4_cross-dataset.py',
    '../../_base_/datasets/caltech101.py',
]
