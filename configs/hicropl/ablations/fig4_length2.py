# HiCroPL ablation, paper Figure 4 (right), 2 prompt tokens per layer.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations fig4_length2.
_base_ = ['../base2novel/dtd.py']

ablation = 'fig4_length2'
model = dict(prompt_learner=dict(n_ctx=2))
