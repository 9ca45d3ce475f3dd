# HiCroPL 1-shot classification on ImageNet (paper Fig. 3 / Table 14): all 1000
# classes, 1 shot per class for training, 40 epochs, batch 128.
_base_ = [
    '../../_base_/models/hicropl_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/hicropl_imagenet_ep40_bs128.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(batch_size=128, dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'
