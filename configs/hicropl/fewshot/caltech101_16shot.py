# HiCroPL 16-shot classification on Caltech101 (paper Fig. 3 / Table 14): all 100
# classes, 16 shots per class for training (4 for validation), 50 epochs, batch 32.
_base_ = [
    '../../_base_/models/hicropl_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/caltech101.py',
    '../../_base_/schedules/hicropl_ep50_bs32.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(dataset=dict(num_shots=16))
val_dataloader = dict(dataset=dict(num_shots=16))
test_dataloader = dict(dataset=dict(num_shots=16))
