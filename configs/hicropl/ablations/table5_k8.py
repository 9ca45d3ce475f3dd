# HiCroPL ablation, paper Table 5, layer boundary k = 8.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table5_k8.
_base_ = ['../base2novel/dtd.py']

ablation = 'table5_k8'
model = dict(prompt_learner=dict(cross_layer=8))
