# ISP cross-dataset transfer on WorldCounts of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# a target: the model of ./world_objects.py tested without retraining.
_base_ = [
    '../../_base_/models/isp_world-clip.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
    '../../_base_/datasets/world_counts.py',
]
