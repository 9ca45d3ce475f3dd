# HiCroPL ablation, paper Paper vs code: logits from the prompted features alone, Eq. 4 read
# literally (the authors' code fuses them with the frozen ones); the consistency
# loss (Eq. 5) is unchanged.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations paper_eq4_prompted_logits.
_base_ = ['../base2novel/dtd.py']

ablation = 'paper_eq4_prompted_logits'
model = dict(head=dict(logits_from='prompted'))
