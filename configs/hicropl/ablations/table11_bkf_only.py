# HiCroPL ablation, paper Table 11, the bidirectional knowledge flow without L_cons.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table11_bkf_only.
_base_ = ['../base2novel/dtd.py']

ablation = 'table11_bkf_only'
model = dict(losses=[dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0))])
