# HiCroPL cross-dataset transfer on WorldTextures of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# a target: the model of ./world_objects.py tested without retraining.
_base_ = [
    '../../_base_/models/hicropl_world-clip_cross-dataset.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/hicropl_ep5_bs32.py',
    '../../_base_/datasets/world_textures.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
