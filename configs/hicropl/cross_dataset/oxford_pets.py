# Cross-dataset target (paper Table 2): the ImageNet model trained with
# ./imagenet.py, tested on all 37 Oxford Pets classes without retraining:
#   python tools/test.py configs/hicropl/cross_dataset/oxford_pets.py CHECKPOINT
_base_ = [
    '../../_base_/models/hicropl_vit-b16_cross-dataset.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/hicropl_ep5_bs32.py',
    '../../_base_/datasets/oxford_pets.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
