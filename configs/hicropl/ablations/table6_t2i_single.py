# HiCroPL ablation, paper Table 6, single-scale text -> image mapper, multi-scale image -> text.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table6_t2i_single.
_base_ = ['../base2novel/dtd.py']

ablation = 'table6_t2i_single'
model = dict(prompt_learner=dict(text_to_visual_scale='single'))
