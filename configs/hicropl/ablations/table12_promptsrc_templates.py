# HiCroPL ablation, paper Table 12, frozen text from PromptSRC's 60 ImageNet templates (their
# averaging: mean of the raw features).
# Base-to-novel on DTD; any dataset: tools/sweep.py --ablations table12_promptsrc_templates.
_base_ = ['../base2novel/dtd.py', '../../_base_/text/promptsrc_templates.py']

ablation = 'table12_promptsrc_templates'
model = dict(
    class_text=dict(_delete_=True, type='TemplateTextEmbeddings',
                    templates={{_base_.promptsrc_templates}}, average='raw'))
