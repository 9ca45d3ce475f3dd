# ISP cross-dataset protocol on food101: the ImageNet model of ./imagenet.py
# tested without retraining.
_base_ = [
    '../../_base_/models/isp_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
    '../../_base_/datasets/food101.py',
]
