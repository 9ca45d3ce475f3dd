# Zero-shot CLIP (Radford et al., "Learning Transferable Visual Models From Natural
# Language Supervision", ICML 2021) on OpenAI CLIP ViT-B/16 (open_clip), one prompt
# template. Nothing is learned: no prompt learner, the class features are the frozen
# text tower's embeddings of the template filled with each class name (underscores
# as spaces), the logits CLIP's cosine logits (paper Sec. 3.1.4). The protocol leaf
# configs set the dataset's hand-crafted template of CoOp's zero-shot baseline
# (CoOp repo trainers/zsclip.py, CUSTOM_TEMPLATES; the CoCoOp paper's zero-shot
# CLIP rows); the default is "a photo of a {}.". Test without a checkpoint:
#   python tools/test.py configs/zsclip/base2novel/dtd.py --work-dir work_dirs/zsclip
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=None,
    class_text=dict(type='TemplateTextEmbeddings', templates=['a photo of a {}.']),
    head=dict(type='CosineHead'),
    losses=[],
)
setting = 'ZeroShotCLIP'  # results label of tools/run_protocol.py
