# Zero-shot CLIP cross-dataset transfer on WorldCounts of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# no training: tested without a checkpoint (`python tools/test.py THIS_CONFIG`).
_base_ = [
    '../../_base_/models/zsclip_world-clip.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/datasets/world_counts.py',
    '../../_base_/schedules/zero_shot.py',
]

model = dict(class_text=dict(templates=['a photo of a {}.']))

train_dataloader = None
val_dataloader = None
val_evaluator = None
