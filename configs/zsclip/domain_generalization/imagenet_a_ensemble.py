# Zero-shot CLIP, domain generalization on imagenet_a: no training, tested without a
# checkpoint (`python tools/test.py THIS_CONFIG`); templates: CLIP's 80 ImageNet
# templates (the ensemble base's default).
_base_ = [
    '../../_base_/models/zsclip-ensemble_vit-b16.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/datasets/imagenet_a.py',
    '../../_base_/schedules/zero_shot.py',
]

# Nothing to train or select: test only.
train_dataloader = None
val_dataloader = None
val_evaluator = None
