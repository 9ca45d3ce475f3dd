# Domain-generalization target (paper Table 3): the ImageNet model trained with
# ../cross_dataset/imagenet.py, tested on ImageNet-V2 (1000 classes) without retraining:
#   python tools/test.py configs/hicropl/domain_generalization/imagenetv2.py CHECKPOINT
_base_ = [
    '../../_base_/models/hicropl_vit-b16_cross-dataset.py',
    '../../_base_/protocols/domain_generalization.py',
    '../../_base_/schedules/hicropl_ep5_bs32.py',
    '../../_base_/datasets/imagenetv2.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
