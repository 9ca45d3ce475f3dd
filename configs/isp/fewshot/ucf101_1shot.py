# ISP 1-shot classification on ucf101: all classes, 1 shot(s) per
# class. Schedule: IVLP's (SGD lr 0.0025, batch 4, 20 epochs; the ISP abstract gives none).
_base_ = [
    '../../_base_/models/isp_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/ucf101.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=1))
val_dataloader = dict(dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))
