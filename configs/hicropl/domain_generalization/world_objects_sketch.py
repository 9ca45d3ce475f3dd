# HiCroPL domain generalization on WorldObjectsSketch of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# a target: the model of ../cross_dataset/world_objects.py tested without retraining.
_base_ = [
    '../../_base_/models/hicropl_world-clip_cross-dataset.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/schedules/hicropl_ep5_bs32.py',
    '../../_base_/datasets/world_objects_sketch.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
