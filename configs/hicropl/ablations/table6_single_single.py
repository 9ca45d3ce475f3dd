# HiCroPL ablation, paper Table 6, single-scale mappers on both sides: each layer's prompts
# attend to the proxy of the same layer only (as MaPLe's layer-to-layer coupling).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table6_single_single.
_base_ = ['../base2novel/dtd.py']

ablation = 'table6_single_single'
model = dict(prompt_learner=dict(text_to_visual_scale='single', visual_to_text_scale='single'))
