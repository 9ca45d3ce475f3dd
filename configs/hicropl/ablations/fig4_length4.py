# HiCroPL ablation, paper Figure 4 (right), 4 prompt tokens per layer.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations fig4_length4.
_base_ = ['../base2novel/dtd.py']

ablation = 'fig4_length4'
model = dict(prompt_learner=dict(n_ctx=4))
