# PromptSRC cross-dataset protocol on caltech101 (CoCoOp paper Table 2 setting): the ImageNet
# model (16 shots, all classes) tested without retraining.
_base_ = [
    '../../_base_/models/promptsrc_vit-b16_cross-dataset.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/promptsrc_ep5_bs4.py',
    '../../_base_/datasets/caltech101.py',
]
