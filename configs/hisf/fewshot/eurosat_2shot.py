# HISF 2-shot classification on eurosat: all classes, 2 shot(s) per
# class. Schedule: HISF preprint Sec. 4.1 (SGD lr 0.0035, batch 4, 50 epochs).
_base_ = [
    '../../_base_/models/hisf_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/eurosat.py',
    '../../_base_/schedules/hisf_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=2))
val_dataloader = dict(dataset=dict(num_shots=2))
test_dataloader = dict(dataset=dict(num_shots=2))
