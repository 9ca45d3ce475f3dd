# ISP 8-shot classification on oxford_flowers: all classes, 8 shot(s) per
# class. Schedule: IVLP's (SGD lr 0.0025, batch 4, 20 epochs; the ISP abstract gives none).
_base_ = [
    '../../_base_/models/isp_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/oxford_flowers.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=8))
val_dataloader = dict(dataset=dict(num_shots=8))
test_dataloader = dict(dataset=dict(num_shots=8))
