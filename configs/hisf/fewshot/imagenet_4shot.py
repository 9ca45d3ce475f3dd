# HISF 4-shot classification on imagenet: all classes, 4 shot(s) per
# class. Schedule: HISF preprint Sec. 4.1 (SGD lr 0.0035, batch 4, 50 epochs).
_base_ = [
    '../../_base_/models/hisf_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=4))
test_dataloader = dict(dataset=dict(num_shots=4))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'
