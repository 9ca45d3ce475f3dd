# HiCroPL ablation, paper Figure 4 (left), prompts in the first 9 layers (k = 4).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations fig4_depth9.
_base_ = ['../base2novel/dtd.py']

ablation = 'fig4_depth9'
model = dict(prompt_learner=dict(depth=9, cross_layer=4))
