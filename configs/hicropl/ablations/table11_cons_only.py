# HiCroPL ablation, paper Table 11, L_cons without the bidirectional knowledge flow.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table11_cons_only.
_base_ = ['../base2novel/dtd.py']

ablation = 'table11_cons_only'
model = dict(prompt_learner=dict(knowledge_flow=False))
