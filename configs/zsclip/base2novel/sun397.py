# Zero-shot CLIP, base-to-novel generalization (all classes, base / novel / HM) on
# sun397: no training, tested without a checkpoint (`python tools/test.py THIS_CONFIG`);
# templates: the dataset's hand-crafted template of CoOp's zero-shot baseline
# (trainers/zsclip.py, CUSTOM_TEMPLATES).
_base_ = [
    '../../_base_/models/zsclip_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/sun397.py',
    '../../_base_/schedules/zero_shot.py',
]

model = dict(class_text=dict(templates=['a photo of a {}.']))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# Nothing to train or select: test only.
train_dataloader = None
val_dataloader = None
val_evaluator = None
