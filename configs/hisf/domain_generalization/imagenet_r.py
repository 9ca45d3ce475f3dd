# HISF domain generalization on imagenet_r: the ImageNet model of
# ../cross_dataset/imagenet.py tested without retraining.
_base_ = [
    '../../_base_/models/hisf_vit-b16.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
    '../../_base_/datasets/imagenet_r.py',
]
