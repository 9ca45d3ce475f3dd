# Linear probe, 8-shot classification on sun397 (CoOp paper Sec. 4.1, Fig. 3): all classes,
# 8 shots per class; C selected on the min(K, 4)-shot val split. Features of the training
# images with the test-time transform (no augmentation), as CoOp's feature extractor.
_base_ = [
    '../../_base_/models/linear-probe_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/sun397.py',
    '../../_base_/schedules/linear_probe.py',
]

train_dataloader = dict(
    batch_size=100,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(num_shots=8, pipeline={{_base_.test_pipeline}}))
val_dataloader = dict(dataset=dict(num_shots=8))
test_dataloader = dict(dataset=dict(num_shots=8))
