# HiCroPL ablation, paper Table 4, T→I only: text -> image in all 12 layers (k = 12).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table4_t2i_only.
_base_ = ['../base2novel/dtd.py']

ablation = 'table4_t2i_only'
model = dict(prompt_learner=dict(cross_layer=12))
