# PromptSRC domain generalization on imagenet_r: the ImageNet model of ../cross_dataset/imagenet.py
# tested without retraining.
_base_ = [
    '../../_base_/models/promptsrc_vit-b16_cross-dataset.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/schedules/promptsrc_ep5_bs4.py',
    '../../_base_/datasets/imagenet_r.py',
]
