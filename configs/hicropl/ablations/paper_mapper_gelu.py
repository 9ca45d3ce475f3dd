# HiCroPL ablation, paper Paper vs code: the mapper FFN with GELU, as Eq. 10 writes it (the
# authors' code uses QuickGELU, the default).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations paper_mapper_gelu.
_base_ = ['../base2novel/dtd.py']

ablation = 'paper_mapper_gelu'
model = dict(prompt_learner=dict(mapper_act_cfg=dict(type='GELU')))
