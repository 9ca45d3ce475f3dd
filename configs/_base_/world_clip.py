# The world CLIP: a small open_clip CLIP pretrained contrastively on the procedural
# world of coloured, patterned shapes (projects/hicropl/datasets/world), shipped with
# the project; docs/world_clip.md says how it was made (the exact command), its
# checksum and training curve. It reads ordinary English through the real CLIP
# tokenizer (context length 32). A method's model config uses it with
#   model = dict(backbone=dict(arch=world_clip_arch, pretrained=world_clip_weights))
# (configs/_base_/models/<method>_world-clip.py).
world_clip_arch = dict(
    _delete_=True,  # replaces the architecture of the model config it is merged into
    embed_dim=64,
    quick_gelu=False,
    vision_cfg=dict(image_size=48, patch_size=8, width=64, layers=4, head_width=16),
    text_cfg=dict(context_length=32, vocab_size=49408, width=64, heads=4, layers=4))
world_clip_weights = '{{ fileDirname }}/../../checkpoints/world_clip/world_clip_vit-t8-48px.pt'
