# Linear probe on frozen CLIP image features (Radford et al., ICML 2021, Sec. 3.2; the
# few-shot baseline of CoOp, Zhou et al., IJCV 2022, Sec. 4.1) on OpenAI CLIP ViT-B/16
# (open_clip). As CoOp's code (CoOp repo lpclip/feat_extractor.py + linear_probe.py):
# the projected image features (not normalised) of every training image, extracted once;
# scikit-learn's LogisticRegression(solver='lbfgs', penalty='l2', max_iter=1000) objective,
# solved here by full-batch L-BFGS in torch (float64); C searched on the validation
# features over [1e6, 1e4, 1e2, 1, 1e-2, 1e-4, 1e-6], then 8 bisection steps in log10(C).
model = dict(
    type='LinearProbeClassifier',
    backbone=dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='openai'),
    normalize=False,
    C=None,  # None: search on the validation split; a number: fixed
    c_grid=[1e6, 1e4, 1e2, 1.0, 1e-2, 1e-4, 1e-6],
    search_steps=8,
    max_iter=1000,
    tol=1e-4,
    solver_dtype='float64',
)
setting = 'LinearProbe'  # results label of tools/run_protocol.py
