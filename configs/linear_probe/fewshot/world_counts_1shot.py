# Linear probe few-shot classification on WorldCounts of the miniature benchmark suite
# (synthetic world, world CLIP; see configs/_base_/datasets/world_objects.py):
# all classes, 1 shot per class; the schedule of the method's Oxford Pets config for this K.
_base_ = [
    '../../_base_/models/linear-probe_world-clip.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/world_counts.py',
    '../../_base_/schedules/linear_probe.py',
]

train_dataloader = dict(
    batch_size=100,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(num_shots=1, pipeline={{_base_.test_pipeline}}))
val_dataloader = dict(dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))
