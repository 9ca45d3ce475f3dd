# PromptSRC cross-dataset settings (./promptsrc_vit-b16_cross-dataset.py: prompt depth 3
# of 12) on the world CLIP, the depths scaled to its 4-layer towers (1 of 4).
_base_ = ['./promptsrc_vit-b16_cross-dataset.py', '../world_clip.py']

model = dict(
    backbone=dict(arch={{_base_.world_clip_arch}}, pretrained={{_base_.world_clip_weights}}),
    prompt_learner=dict(text_depth=1, vision_depth=1))
