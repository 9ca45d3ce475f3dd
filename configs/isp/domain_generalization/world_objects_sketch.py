# ISP domain generalization on WorldObjectsSketch of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# a target: the model of ../cross_dataset/world_objects.py tested without retraining.
_base_ = [
    '../../_base_/models/isp_world-clip.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
    '../../_base_/datasets/world_objects_sketch.py',
]
