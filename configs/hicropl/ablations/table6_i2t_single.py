# HiCroPL ablation, paper Table 6, multi-scale text -> image mapper, single-scale image -> text.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table6_i2t_single.
_base_ = ['../base2novel/dtd.py']

ablation = 'table6_i2t_single'
model = dict(prompt_learner=dict(visual_to_text_scale='single'))
