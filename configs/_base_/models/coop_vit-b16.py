# CoOp (Zhou et al., "Learning to Prompt for Vision-Language Models", IJCV 2022)
# on OpenAI CLIP ViT-B/16 (open_clip). Defaults of the authors' scripts
# (CoOp repo scripts/coop/main.sh; the HiCroPL repo's configs/trainers/CoOp):
# 16 context tokens drawn at random, one context for all classes, class name at
# the end. Only the context is learned; both towers are the frozen CLIP and the
# logits are plain cosine logits (reference README, section 10).
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='CoOpPromptLearner',
        n_ctx=16,
        ctx_init='',  # e.g. 'a photo of a': then n_ctx = its number of words
        class_specific=False,  # CSC: one context per class (set num_classes too)
        class_token_position='end',  # 'end' | 'middle' | 'front'
    ),
    head=dict(type='CosineHead'),
    losses=[dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0))],
)
