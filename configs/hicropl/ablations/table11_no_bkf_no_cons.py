# HiCroPL ablation, paper Table 11, neither the bidirectional knowledge flow nor L_cons:
# independent deep prompts, cross-entropy only.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table11_no_bkf_no_cons.
_base_ = ['../base2novel/dtd.py']

ablation = 'table11_no_bkf_no_cons'
model = dict(
    prompt_learner=dict(knowledge_flow=False),
    losses=[dict(type='LogitsLoss', loss=dict(type='CrossEntropyLoss', loss_weight=1.0))])
