# HiCroPL base-to-novel generalization on ImageNet (paper Table 1): train on the
# 500 base classes (16 shots, 40 epochs, batch 128), test once on all 1000 classes:
# base (500 classes), novel (500 classes) and HM accuracy.
_base_ = [
    '../../_base_/models/hicropl_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/hicropl_imagenet_ep40_bs128.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(batch_size=128, dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'
