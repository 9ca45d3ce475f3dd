# HISF 8-shot classification on food101: all classes, 8 shot(s) per
# class. Schedule: HISF preprint Sec. 4.1 (SGD lr 0.0035, batch 4, 50 epochs).
_base_ = [
    '../../_base_/models/hisf_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/food101.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=8))
val_dataloader = dict(dataset=dict(num_shots=8))
test_dataloader = dict(dataset=dict(num_shots=8))
