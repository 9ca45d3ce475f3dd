# HiCroPL ablation, paper Table 12, one description drawn at random per class and training step
# (CoPrompt); evaluation uses the averaged descriptions.
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table12_random_description.
_base_ = ['../base2novel/dtd.py']

ablation = 'table12_random_description'
model = dict(class_text=dict(type='RandomDescriptionTextEmbeddings'))
