# ISP domain generalization on imagenetv2: the ImageNet model of
# ../cross_dataset/imagenet.py tested without retraining.
_base_ = [
    '../../_base_/models/isp_vit-b16.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
    '../../_base_/datasets/imagenetv2.py',
]
