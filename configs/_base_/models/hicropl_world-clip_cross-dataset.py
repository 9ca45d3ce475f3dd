# HiCroPL cross-dataset / domain-generalization settings (./hicropl_vit-b16_cross-dataset.py:
# 2 prompt tokens, prompts in 6 of 12 layers, text->image in 1..5) on the world CLIP,
# depths scaled to its 4-layer towers: prompts in 2 layers, text->image in layer 1.
_base_ = ['./hicropl_vit-b16_cross-dataset.py', '../world_clip.py']

model = dict(
    backbone=dict(arch={{_base_.world_clip_arch}}, pretrained={{_base_.world_clip_weights}}),
    prompt_learner=dict(depth=2, cross_layer=1))
