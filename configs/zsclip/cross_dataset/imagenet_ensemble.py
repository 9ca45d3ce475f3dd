# Zero-shot CLIP, cross-dataset evaluation on imagenet: no training, tested without a
# checkpoint (`python tools/test.py THIS_CONFIG`); templates: CLIP's 80 ImageNet
# templates (the ensemble base's default).
_base_ = [
    '../../_base_/models/zsclip-ensemble_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/zero_shot.py',
]

test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# Nothing to train or select: test only.
train_dataloader = None
val_dataloader = None
val_evaluator = None
