# Zero-shot CLIP, base-to-novel generalization (all classes, base / novel / HM) on
# sun397: no training, tested without a checkpoint (`python tools/test.py THIS_CONFIG`);
# templates: CoOp's ensemble baseline (trainers/zsclip.py, ZeroshotCLIP2): its 7
# IMAGENET_TEMPLATES_SELECT plus the dataset's hand-crafted template.
_base_ = [
    '../../_base_/models/zsclip-ensemble_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/sun397.py',
    '../../_base_/schedules/zero_shot.py',
]

model = dict(class_text=dict(templates=[
    'itap of a {}.',
    'a bad photo of the {}.',
    'a origami {}.',
    'a photo of the large {}.',
    'a {} in a video game.',
    'art of the {}.',
    'a photo of the small {}.',
    'a photo of a {}.',
]))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# Nothing to train or select: test only.
train_dataloader = None
val_dataloader = None
val_evaluator = None
