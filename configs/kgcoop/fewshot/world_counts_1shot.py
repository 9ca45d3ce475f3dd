# KgCoOp few-shot classification on WorldCounts of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# all classes, 1 shot per class; the schedule of the method's Oxford Pets config for this K.
_base_ = [
    '../../_base_/models/kgcoop_world-clip.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/world_counts.py',
    '../../_base_/schedules/kgcoop_ep100_bs128.py',
]

train_dataloader = dict(batch_size=128, dataset=dict(num_shots=1))
val_dataloader = dict(dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))

model = dict(class_text=dict(templates='a photo of a {}, a type of pet.'))
