# HISF few-shot classification on WorldTextures of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# all classes, 16 shots per class; the schedule of the method's Oxford Pets config for this K.
_base_ = [
    '../../_base_/models/hisf_world-clip.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/world_textures.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16))
val_dataloader = dict(dataset=dict(num_shots=16))
test_dataloader = dict(dataset=dict(num_shots=16))
