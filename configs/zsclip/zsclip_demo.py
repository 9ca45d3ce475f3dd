# Zero-shot CLIP on the generated demo dataset with a small CLIP built from an
# open_clip model config (random weights), a template ensemble: no training, test
# without a checkpoint:
#   python tools/test.py configs/zsclip/zsclip_demo.py
# Runs anywhere in a minute on 2 CPU cores, no download; accuracy is meaningful
# only with real CLIP weights.
_base_ = [
    '../_base_/models/zsclip_vit-b16.py',
    '../_base_/datasets/hicropl_demo.py',
    '../_base_/schedules/zero_shot.py',
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
    class_text=dict(templates=['a photo of a {}.', 'a bad photo of the {}.', 'art of the {}.']))

test_pipeline = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='ResizeEdge', scale=image_size, edge='short', interpolation='bicubic',
         backend='pillow'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]
test_dataloader = dict(
    num_workers=1, dataset=dict(subsample_classes='all', pipeline=test_pipeline))
test_evaluator = dict(type='Accuracy', topk=(1, ))

# Nothing to train or select: test only.
train_dataloader = None
val_dataloader = None
val_evaluator = None
env_cfg = dict(dist_cfg=dict(backend='gloo'))
