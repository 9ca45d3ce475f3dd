# ISP, an INTERPRETATION of the abstract of "Integrated Structural Prompt Learning for
# Vision-Language Models" (arXiv:2507.05677; the full paper was not available), on OpenAI
# CLIP ViT-B/16 (open_clip). Base prompts as IVLP (4 text + 4 visual tokens, depth 9, text
# init "a photo of a"); self-structural modules (prompts attend to their own tower's prompts
# and frozen tokens: the frozen class text embeddings / the frozen image embedding),
# cross-structural modules (prompts attend to the other tower's prompts) and the sample
# probing loss (cross-entropy weighted by the frozen CLIP's difficulty, 1 - p_true). Every
# part is a switch. See configs/isp/README.md for the list of interpretation choices.
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='ISPPromptLearner',
        n_ctx_text=4,
        n_ctx_vision=4,
        ctx_init='a photo of a',
        depth=9,
        self_structural=True,
        cross_structural=True,
    ),
    # the frozen text tokens of the self-structural module and the frozen (zero-shot)
    # classifier of sample probing
    class_text=dict(type='TemplateTextEmbeddings', templates='a photo of a {}.'),
    head=dict(type='CosineHead'),
    losses=[dict(type='SampleProbingLoss', gamma=1.0, enabled=True)],
)
