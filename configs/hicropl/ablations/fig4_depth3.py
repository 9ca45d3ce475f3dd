# HiCroPL ablation, paper Figure 4 (left), prompts in the first 3 layers (k = 1).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations fig4_depth3.
_base_ = ['../base2novel/dtd.py']

ablation = 'fig4_depth3'
model = dict(prompt_learner=dict(depth=3, cross_layer=1))
