# HiCroPL few-shot classification on WorldObjects of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# all classes, 16 shots per class; the schedule of the method's Oxford Pets config for this K.
_base_ = [
    '../../_base_/models/hicropl_world-clip.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/world_objects.py',
    '../../_base_/schedules/hicropl_ep50_bs32.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(dataset=dict(num_shots=16))
val_dataloader = dict(dataset=dict(num_shots=16))
test_dataloader = dict(dataset=dict(num_shots=16))
