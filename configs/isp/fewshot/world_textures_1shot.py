# ISP few-shot classification on WorldTextures of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# all classes, 1 shot per class; the schedule of the method's Oxford Pets config for this K.
_base_ = [
    '../../_base_/models/isp_world-clip.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/world_textures.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=1))
val_dataloader = dict(dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))
