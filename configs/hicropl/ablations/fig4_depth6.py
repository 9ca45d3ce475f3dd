# HiCroPL ablation, paper Figure 4 (left), prompts in the first 6 layers (k = 3).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations fig4_depth6.
_base_ = ['../base2novel/dtd.py']

ablation = 'fig4_depth6'
model = dict(prompt_learner=dict(depth=6, cross_layer=3))
