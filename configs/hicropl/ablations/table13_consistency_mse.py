# HiCroPL ablation, paper Table 13, consistency criterion MSE.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table13_consistency_mse.
_base_ = ['../base2novel/dtd.py']

ablation = 'table13_consistency_mse'
model = dict(losses=[
    dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    dict(type='ConsistencyLoss', criterion='mse', loss_weight=12.0),
])
