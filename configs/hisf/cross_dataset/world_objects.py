# HISF cross-dataset transfer on WorldObjects of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# the source model (all 48 classes, 16 shots, the settings of the method's ImageNet
# source config), tested on WorldObjects, then on every config of `eval_targets`.
_base_ = [
    '../../_base_/models/hisf_world-clip.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
    '../../_base_/datasets/world_objects.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='all'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

val_dataloader = None
val_cfg = None
val_evaluator = None

eval_targets = [
    '{{ fileDirname }}/world_textures.py',
    '{{ fileDirname }}/world_counts.py',
    '{{ fileDirname }}/../domain_generalization/world_objects_sketch.py',
    '{{ fileDirname }}/../domain_generalization/world_objects_pixel.py',
]
