# KgCoOp (Yao, Zhang, Xu, "Visual-Language Prompt Tuning with Knowledge-guided Context
# Optimization", CVPR 2023) on OpenAI CLIP ViT-B/16 (open_clip). Defaults of the
# authors' code and scripts (github.com/htyao89/KgCoOp, configs/trainers/KgCoOp/
# vit_b16_ep100_ctxv1.yaml, scripts/base2new_train.sh): CoOp's learner with 4 context
# tokens initialised from "a photo of a", class name at the end, and the regulariser
# toward the hand-crafted text features (Eq. 4) with lambda = 8.0. The hand-crafted
# prompt is CoOp's per-dataset template (CUSTOM_TEMPLATES; the leaf configs set it).
# results label of tools/run_protocol.py (the learner is CoOp's)
setting = 'KgCoOp'
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='CoOpPromptLearner',
        n_ctx=4,
        ctx_init='a photo of a',
        class_specific=False,
        class_token_position='end',
    ),
    # w^clip: the frozen CLIP text features of the hand-crafted prompt
    class_text=dict(type='TemplateTextEmbeddings', templates='a photo of a {}.'),
    head=dict(type='CosineHead'),
    losses=[
        dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        # lambda * mean_c ||w_c - w_c^clip||^2 (paper Eq. 4); criterion='cosine' is the
        # authors' code, lambda * (1 - mean_c cos), i.e. half of it on unit vectors.
        dict(type='KnowledgeGuidedTextLoss', loss_weight=8.0, criterion='squared_l2'),
    ],
)
