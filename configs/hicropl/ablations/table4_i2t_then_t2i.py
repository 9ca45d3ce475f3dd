# HiCroPL ablation, paper Table 4, I→T | T→I: image -> text in layers 1..6, then text -> image.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table4_i2t_then_t2i.
_base_ = ['../base2novel/dtd.py']

ablation = 'table4_i2t_then_t2i'
model = dict(prompt_learner=dict(first_flow='i2t'))
