# IVLP cross-dataset protocol on dtd: the ImageNet model of ./imagenet.py
# tested without retraining.
_base_ = [
    '../../_base_/models/ivlp_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/ivlp_ep20_bs4.py',
    '../../_base_/datasets/dtd.py',
]
