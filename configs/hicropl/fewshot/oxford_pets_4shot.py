# HiCroPL 4-shot classification on Oxford Pets (paper Fig. 3 / Table 14): all 37
# classes, 4 shots per class for training (4 for validation), 50 epochs, batch 32.
_base_ = [
    '../../_base_/models/hicropl_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/oxford_pets.py',
    '../../_base_/schedules/hicropl_ep50_bs32.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(dataset=dict(num_shots=4))
val_dataloader = dict(dataset=dict(num_shots=4))
test_dataloader = dict(dataset=dict(num_shots=4))
