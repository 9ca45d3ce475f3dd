# ISP base-to-novel generalization on WorldObjects of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# the 24 base classes for training, one test over all 48 (base, novel, HM).
_base_ = [
    '../../_base_/models/isp_world-clip.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/world_objects.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
