# HISF (Feng & Li, "HISF: Hierarchical Interactive Semantic Fusion for Multi-Modal Prompt
# Learning", preprint 2025, doi:10.20944/preprints202511.0717.v1) on OpenAI CLIP ViT-B/16
# (open_clip). The preprint publishes no code and no per-setting numbers of prompt tokens or
# depth ("described in the source settings", Sec. 4.1); it follows MaPLe (Sec. 3.2, Table 4
# "MaPLe setting"), so MaPLe's are used: 2 prompt tokens per layer, depth 9 in both towers,
# layer 0 initialised from "a photo of a". Every prompted layer fuses with the label
# embeddings (Sec. 3.3); the label embeddings are the frozen CLIP text embeddings of
# "a photo of a {class}." (class_text). Loss (Eq. 12): L_cls + lambda1 L_le + lambda2 L_sa;
# the preprint gives no lambda values: 1.0 each. See configs/hisf/README.md.
model = dict(
    type='PromptCLIPClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    prompt_learner=dict(
        type='HISFPromptLearner',
        n_ctx=2,
        ctx_init='a photo of a',
        depth=9,
        fusion_layers=None,  # None: every prompted layer fuses (Eq. 3-8)
        bottleneck_reduction=16,  # Eq. 8 MLP hidden width = tower width / 16
    ),
    # label embeddings E (Eq. 4-9): frozen CLIP text embeddings of the class names
    class_text=dict(type='TemplateTextEmbeddings', templates='a photo of a {}.'),
    head=dict(type='CosineHead'),
    losses=[
        # L_cls (Eq. 11): cross-entropy of tau * cos(image, f(P_final, class))
        dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        dict(type='LabelEmbeddingLoss', loss_weight=1.0),  # lambda1 * L_le (Eq. 9)
        dict(type='SemanticAlignmentLoss', loss_weight=1.0),  # lambda2 * L_sa (Eq. 10)
    ],
)
