# HISF cross-dataset protocol on oxford_flowers: the ImageNet model of ./imagenet.py
# tested without retraining.
_base_ = [
    '../../_base_/models/hisf_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
    '../../_base_/datasets/oxford_flowers.py',
]
