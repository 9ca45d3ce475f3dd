# CoCoOp on the world CLIP (configs/_base_/world_clip.py): ./cocoop_vit-b16.py with
# the world CLIP's weights; every other setting as published.
_base_ = ['./cocoop_vit-b16.py', '../world_clip.py']

model = dict(
    backbone=dict(arch={{_base_.world_clip_arch}}, pretrained={{_base_.world_clip_weights}}))
