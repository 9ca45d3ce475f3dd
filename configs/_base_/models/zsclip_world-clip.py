# Zero-shot CLIP on the world CLIP (configs/_base_/world_clip.py): 'a photo of a {}.'
_base_ = ['./zsclip_vit-b16.py', '../world_clip.py']

model = dict(
    backbone=dict(arch={{_base_.world_clip_arch}}, pretrained={{_base_.world_clip_weights}}))
