# Linear probe on the generated demo dataset with a small CLIP built from an open_clip
# model config (random weights): features of the base classes extracted once, logistic
# regression with the search of C on the val split, then test. Runs anywhere in a
# minute on 2 CPU cores, no download; accuracy is meaningful only with real CLIP weights.
_base_ = [
    '../_base_/models/linear-probe_vit-b16.py',
    '../_base_/datasets/hicropl_demo.py',
    '../_base_/schedules/linear_probe.py',
    '../_base_/default_runtime.py',
]

image_size = 64
demo_clip = dict(
    _delete_=True,
    embed_dim=128,
    quick_gelu=True,
    vision_cfg=dict(image_size=image_size, patch_size=16, width=128, layers=4, head_width=32),
    text_cfg=dict(context_length=77, vocab_size=49408, width=128, heads=4, layers=4))

model = dict(backbone=dict(arch=demo_clip, pretrained=None))

test_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='ResizeEdge', scale=image_size, edge='short', interpolation='bicubic',
         backend='pillow'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=1, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(subsample_classes='base', pipeline=test_pipeline))
val_dataloader = dict(
    num_workers=1, dataset=dict(subsample_classes='base', pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=1, dataset=dict(subsample_classes='base', pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = dict(type='Accuracy', topk=(1, ))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
