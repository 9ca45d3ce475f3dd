# CoCoOp (Zhou et al., "Conditional Prompt Learning for Vision-Language Models",
# CVPR 2022) on OpenAI CLIP ViT-B/16 (open_clip). Defaults of the authors' yaml
# configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml (CoOp repo; the same in
# the HiCroPL repo's copy), the setting of the paper's base-to-novel and
# cross-dataset tables: 4 context tokens initialised from "a photo of a", meta-net
# Linear(512, 512 // 16) - ReLU - Linear(32, 512) on the normalised frozen image
# features, whose output shifts every context token per image (reference README,
# section 14). The class prompts are encoded once per image: `text_chunk_images`
# images per text-tower call bound the memory (C x chunk sequences per call).
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='CoCoOpPromptLearner',
        n_ctx=4,  # ignored with ctx_init (its number of words), as the authors do
        ctx_init='a photo of a',
        reduction=16,  # meta-net hidden width = embed_dim // 16
    ),
    head=dict(type='CosineHead'),
    losses=[dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0))],
    text_chunk_images=1,
)
