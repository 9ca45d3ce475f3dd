# IVLP, independent vision-language prompting (the deep-prompt baseline of MaPLe,
# Khattak et al., CVPR 2023, and PromptSRC, Khattak et al., ICCV 2023) on OpenAI CLIP
# ViT-B/16 (open_clip). Defaults of the authors' yaml
# configs/trainers/IVLP/vit_b16_c2_ep20_batch4_4+4ctx.yaml (PromptSRC repo
# muzairkhattak/PromptSRC; the same file in the HiCroPL repo, quoted in the reference
# README section 12): 4 text + 4 visual prompt tokens, text and vision depth 9, the text
# context initialised from "a photo of a". Text and visual prompts are independent (no
# coupling); logits are plain cosine logits, the loss cross-entropy.
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='IVLPPromptLearner',
        n_ctx_text=4,  # TRAINER.IVLP.N_CTX_TEXT
        n_ctx_vision=4,  # TRAINER.IVLP.N_CTX_VISION
        ctx_init='a photo of a',  # used only when n_ctx_text <= 4, as in the authors' code
        text_depth=9,  # TRAINER.IVLP.PROMPT_DEPTH_TEXT
        vision_depth=9,  # TRAINER.IVLP.PROMPT_DEPTH_VISION
    ),
    head=dict(type='CosineHead'),
    losses=[dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0))],
)
