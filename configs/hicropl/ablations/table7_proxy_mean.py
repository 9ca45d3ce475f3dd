# HiCroPL ablation, paper Table 7, equal weighting: each layer's proxy is the mean of its prompts.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table7_proxy_mean.
_base_ = ['../base2novel/dtd.py']

ablation = 'table7_proxy_mean'
model = dict(prompt_learner=dict(proxy='mean'))
