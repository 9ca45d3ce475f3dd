# MaPLe (Khattak et al., "MaPLe: Multi-modal Prompt Learning", CVPR 2023) on OpenAI CLIP
# ViT-B/16 (open_clip). Defaults of the paper (Sec. 4.1, implementation details) and the
# authors' yaml configs/trainers/MaPLe/vit_b16_c2_ep5_batch4_2ctx.yaml (MaPLe repo
# muzairkhattak/multimodal-prompt-learning; the same file in the HiCroPL repo, quoted in the
# reference README section 11): 2 prompt tokens per layer, prompt depth J = 9 in both
# towers, the text context initialised from "a photo of a" (positions 1-2 = "a photo"; the
# words "of a" stay in the class prompt), visual prompts = linear projections of the text
# prompts. Logits are plain cosine logits, the loss cross-entropy.
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='MaPLePromptLearner',
        n_ctx=2,  # TRAINER.MAPLE.N_CTX
        ctx_init='a photo of a',  # TRAINER.MAPLE.CTX_INIT; used only when n_ctx <= 4
        depth=9,  # TRAINER.MAPLE.PROMPT_DEPTH
        identical_projection_init=True,  # the authors deep-copy one Linear for layers 1..J-1
    ),
    head=dict(type='CosineHead'),
    losses=[dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0))],
)
