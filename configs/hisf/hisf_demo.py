# HISF base-to-novel on the generated demo dataset with a small CLIP built from
# an open_clip model config (random weights, 4 layers per tower): the same data,
# pipeline, batch and schedule length as configs/coop/coop_demo.py, HISF's model
# (prompt depth 3, as the small CLIP has 4 layers) and SGD (lr 0.0035).
# Runs anywhere in a few minutes on 2 CPU cores, no download; accuracy is
# meaningful only with real CLIP weights.
_base_ = [
    '../_base_/models/hisf_vit-b16.py',
    '../_base_/datasets/hicropl_demo.py',
    '../_base_/schedules/hisf_ep50_bs4.py',
    '../_base_/default_runtime.py',
]

image_size = 64
demo_clip = dict(
    _delete_=True,
    embed_dim=128,
    quick_gelu=True,
    vision_cfg=dict(image_size=image_size, patch_size=16, width=128, layers=4, head_width=32),
    text_cfg=dict(context_length=77, vocab_size=49408, width=128, heads=4, layers=4))

model = dict(
    backbone=dict(arch=demo_clip, pretrained=None),
    prompt_learner=dict(depth=3))

train_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=image_size, crop_ratio_range=(0.5, 1.0),
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='ResizeEdge', scale=image_size, edge='short', interpolation='bicubic',
         backend='pillow'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=1,
    dataset=dict(subsample_classes='base', pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1, dataset=dict(subsample_classes='base', pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=1, dataset=dict(subsample_classes='base', pipeline=test_pipeline))

max_epochs = 10
param_scheduler = dict(
    type='ConstantWarmupCosineLR', T_max=max_epochs, warmup=1, warmup_value=1e-5, by_epoch=True)
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
default_hooks = dict(logger=dict(interval=5))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
