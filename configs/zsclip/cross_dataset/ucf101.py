# Zero-shot CLIP, cross-dataset evaluation on ucf101: no training, tested without a
# checkpoint (`python tools/test.py THIS_CONFIG`); templates: the dataset's hand-crafted
# template of CoOp's zero-shot baseline (trainers/zsclip.py, CUSTOM_TEMPLATES).
_base_ = [
    '../../_base_/models/zsclip_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/datasets/ucf101.py',
    '../../_base_/schedules/zero_shot.py',
]

model = dict(class_text=dict(templates=['a photo of a person doing {}.']))

# Nothing to train or select: test only.
train_dataloader = None
val_dataloader = None
val_evaluator = None
