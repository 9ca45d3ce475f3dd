# HiCroPL ablation, paper Table 4, I→T only: image -> text in all 12 layers (k = 0).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table4_i2t_only.
_base_ = ['../base2novel/dtd.py']

ablation = 'table4_i2t_only'
model = dict(prompt_learner=dict(cross_layer=0))
