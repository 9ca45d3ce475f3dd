# HiCroPL on the world CLIP (configs/_base_/world_clip.py): the paper's model
# (./hicropl_vit-b16.py, 16 prompt tokens) with the depths scaled to the 4-layer
# towers: prompts in all 4 layers, text->image in layers 1..2 and image->text in
# 3..4 (k = L/2, as the paper's 6 of 12).
_base_ = ['./hicropl_vit-b16.py', '../world_clip.py']

model = dict(
    backbone=dict(arch={{_base_.world_clip_arch}}, pretrained={{_base_.world_clip_weights}}),
    prompt_learner=dict(depth=4, cross_layer=2))
