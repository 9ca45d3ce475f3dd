# HiCroPL ablation, paper Table 12, frozen text from one template (KgCoOp's "a photo of a {}.").
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table12_single_template.
_base_ = ['../base2novel/dtd.py']

ablation = 'table12_single_template'
model = dict(class_text=dict(_delete_=True, type='TemplateTextEmbeddings', templates='a photo of a {}.'))
