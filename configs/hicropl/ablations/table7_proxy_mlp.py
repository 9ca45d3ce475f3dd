# HiCroPL ablation, paper Table 7, MLP: a 2-layer token-mixing MLP fuses each layer's prompts.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table7_proxy_mlp.
_base_ = ['../base2novel/dtd.py']

ablation = 'table7_proxy_mlp'
model = dict(prompt_learner=dict(proxy='mlp'))
