# A pipeline check: HiCroPL base-to-novel on the generated 10-class demo dataset
# with a small random-weight CLIP built from an open_clip model config (the tests
# use it). Runs anywhere in about 1-2 minutes on 2 CPU cores, no download.
# Accuracy is meaningful only with trained CLIP weights: the demo (tools/demo.sh)
# runs configs/hicropl/base2novel/world_objects.py with the pretrained world CLIP.
_base_ = [
    '../_base_/models/hicropl_vit-b16.py',
    '../_base_/datasets/hicropl_demo.py',
    '../_base_/schedules/hicropl_ep50_bs32.py',
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
    prompt_learner=dict(n_ctx=4, depth=4, cross_layer=2, num_heads=4),
    class_text=dict(descriptions={{_base_.class_descriptions}}))

# Base-to-novel: train on the base half of the classes, test on base classes
# (novel: --cfg-options test_dataloader.dataset.subsample_classes=new).
train_pipeline = [
    dict(type='SafeLoadImageFromFile', imdecode_backend='pillow',
         color_type='color_ignore_orientation'),
    dict(type='RandomResizedCrop', scale=image_size, crop_ratio_range=(0.5, 1.0),
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='SafeLoadImageFromFile', imdecode_backend='pillow',
         color_type='color_ignore_orientation'),
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
