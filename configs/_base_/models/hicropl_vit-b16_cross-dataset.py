# HiCroPL's cross-dataset / domain-generalization model (paper App. B): 2 prompt
# tokens initialised from "a photo of a", depth 6, k = 5, lambda 12. The source
# (ImageNet) config and every target config share it, so the source checkpoint
# loads into each target config.
_base_ = ['./hicropl_vit-b16.py']

model = dict(
    prompt_learner=dict(n_ctx=2, ctx_init='a photo of a', depth=6, cross_layer=5))
