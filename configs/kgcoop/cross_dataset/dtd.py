# KgCoOp cross-dataset protocol on dtd (CoCoOp paper Table 2 setting): the ImageNet
# model (16 shots, all classes) tested without retraining.
_base_ = [
    '../../_base_/models/kgcoop_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/kgcoop_ep100_bs128.py',
    '../../_base_/datasets/dtd.py',
]

# KgCoOp's hand-crafted prompt of this dataset (CoOp's CUSTOM_TEMPLATES)
model = dict(class_text=dict(templates='{} texture.'))
