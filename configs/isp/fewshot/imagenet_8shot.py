# ISP 8-shot classification on imagenet: all classes, 8 shot(s) per
# class. Schedule: IVLP's (SGD lr 0.0025, batch 4, 20 epochs; the ISP abstract gives none).
_base_ = [
    '../../_base_/models/isp_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=8))
test_dataloader = dict(dataset=dict(num_shots=8))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'
