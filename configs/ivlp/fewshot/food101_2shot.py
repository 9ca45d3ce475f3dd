# IVLP 2-shot classification on food101: all classes, 2 shot(s) per
# class. The authors publish no few-shot schedule for IVLP; their
# base-to-novel one is used: the authors' 4+4ctx yaml (lr 0.0025, batch 4, 20 epochs).
_base_ = [
    '../../_base_/models/ivlp_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/food101.py',
    '../../_base_/schedules/ivlp_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=2))
val_dataloader = dict(dataset=dict(num_shots=2))
test_dataloader = dict(dataset=dict(num_shots=2))
