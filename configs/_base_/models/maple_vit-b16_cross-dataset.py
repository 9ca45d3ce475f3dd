# MaPLe's cross-dataset / domain-generalization model (paper Sec. 4.1; the authors' yaml
# configs/trainers/MaPLe/vit_b16_c2_ep5_batch4_2ctx_cross_datasets.yaml, reference README
# section 11): prompts in the first 3 layers only (PROMPT_DEPTH 3). The source (ImageNet)
# config and every target config share it, so the source checkpoint loads into each target.
_base_ = ['./maple_vit-b16.py']

model = dict(prompt_learner=dict(depth=3))
