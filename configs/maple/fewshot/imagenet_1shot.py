# MaPLe 1-shot classification on imagenet: all classes, 1 shot(s) per
# class. The authors publish no few-shot schedule for MaPLe; their
# base-to-novel one is used: MaPLe paper Sec. 4.1 (lr 0.0035, batch 4, 5 epochs).
_base_ = [
    '../../_base_/models/maple_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/maple_ep5_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'
