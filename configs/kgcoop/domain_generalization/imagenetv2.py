# KgCoOp domain generalization on imagenetv2: the ImageNet model of ../cross_dataset/imagenet.py
# tested without retraining.
_base_ = [
    '../../_base_/models/kgcoop_vit-b16.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/schedules/kgcoop_ep100_bs128.py',
    '../../_base_/datasets/imagenetv2.py',
]

# KgCoOp's hand-crafted prompt of this dataset (CoOp's CUSTOM_TEMPLATES)
model = dict(class_text=dict(templates='a photo of a {}.'))
