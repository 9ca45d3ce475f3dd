# KgCoOp base-to-novel generalization on WorldObjects of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# the 24 base classes for training, one test over all 48 (base, novel, HM).
_base_ = [
    '../../_base_/models/kgcoop_world-clip.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/world_objects.py',
    '../../_base_/schedules/kgcoop_ep100_bs128.py',
]

train_dataloader = dict(batch_size=128, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

model = dict(class_text=dict(templates='a photo of a {}, a type of pet.'))
