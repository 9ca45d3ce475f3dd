# HiCroPL ablation, paper Table 13, consistency criterion L1.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table13_consistency_l1.
_base_ = ['../base2novel/dtd.py']

ablation = 'table13_consistency_l1'
model = dict(losses=[
    dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    dict(type='ConsistencyLoss', criterion='l1', loss_weight=12.0),
])
