# HISF on the world CLIP (configs/_base_/world_clip.py): ./hisf_vit-b16.py with the world CLIP's
# weights and the prompt depth scaled to its 4-layer towers (9 of 12 -> 3 of 4).
_base_ = ['./hisf_vit-b16.py', '../world_clip.py']

model = dict(
    backbone=dict(arch={{_base_.world_clip_arch}}, pretrained={{_base_.world_clip_weights}}),
    prompt_learner=dict(depth=3))
