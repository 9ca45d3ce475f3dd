# PromptSRC (Khattak et al., "Self-regulating Prompts: Foundational Model Adaptation
# without Forgetting", ICCV 2023) on OpenAI CLIP ViT-B/16 (open_clip). Defaults of the
# authors' configs/trainers/PromptSRC/vit_b16_c2_ep20_batch4_4+4ctx.yaml (PromptSRC repo;
# the same file in the HiCroPL repo): 4 text + 4 vision prompt tokens in the first 9
# layers of each tower, text context initialised from "a photo of a", loss weights
# TEXT_LOSS_WEIGHT 25 / IMAGE_LOSS_WEIGHT 10. The Gaussian prompt aggregation (GPA)
# over epochs depends on the schedule: see configs/_base_/schedules/promptsrc_*.py.
# Frozen class text features for the self-consistency losses: the 60 ImageNet
# prompt templates of CLIP (the authors' IMAGENET_TEMPLATES), averaged as their code
# does (mean of the raw features, then L2-normalised; reference README 13b).
_base_ = ['../text/promptsrc_templates.py']

model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='PromptSRCPromptLearner',
        n_ctx_text=4,
        n_ctx_vision=4,
        text_depth=9,
        vision_depth=9,
        ctx_init='a photo of a',  # used when n_ctx_text <= 4, as the authors' code
    ),
    class_text=dict(type='TemplateTextEmbeddings', templates={{_base_.promptsrc_templates}}, average='raw'),
    head=dict(type='CosineHead'),
    # Cross-entropy + the mutual-agreement (self-consistency) regularisers, Eq. 3-6.
    losses=[
        dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        dict(type='FrozenFeatureL1Loss', target='text', loss_weight=25.0),
        dict(type='FrozenFeatureL1Loss', target='image', loss_weight=10.0),
        # KL(zero-shot || prompted) summed and divided by B*C as the authors' code;
        # reduction='batchmean' divides by B (the paper's per-image KL).
        dict(type='ZeroShotKLLoss', loss_weight=1.0, reduction='numel'),
    ],
)
