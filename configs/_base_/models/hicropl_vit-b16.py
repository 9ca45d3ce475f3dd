# HiCroPL on OpenAI CLIP ViT-B/16 (open_clip), paper's base-to-novel/few-shot setting:
# 16 prompt tokens, prompts in all 12 layers, text->image in layers 1..6,
# image->text in 7..12, consistency weight lambda = 12.
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(
        type='PromptedCLIP',
        arch='ViT-B-16',  # any open_clip architecture name, or a config dict
        pretrained='openai',  # an open_clip tag, or a local checkpoint file
    ),
    prompt_learner=dict(
        type='HiCroPLPromptLearner',  # HiCroPLOfficialPromptLearner: the authors' code
        n_ctx=16,
        ctx_init='',
        depth=12,
        cross_layer=6,
        num_heads=8,
    ),
    # Frozen class text features: averaged embeddings of LLM-written class
    # descriptions (the authors' gpt_file/*.json); the dataset config names the file.
    class_text=dict(type='DescriptionTextEmbeddings', descriptions=None, on_missing='error'),
    # Prompted features fused with the frozen ones (Eq. 1).
    head=dict(type='FusedFrozenHead'),
    # Cross-entropy (Eq. 4) + lambda * consistency with the frozen features (Eq. 5-6).
    losses=[
        dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        dict(type='ConsistencyLoss', criterion='cosine', loss_weight=12.0),
    ],
)
