# Your own data described by a split JSON (configs/_base_/datasets/custom_split.py,
# e.g. written by tools/dataset_converters/make_split.py) with the few-shot
# protocol: all classes, 16 shots per class (4 for validation). Other K: change
# num_shots below (1, 2, 4, 8, 16).
_base_ = [
    '../../_base_/models/hicropl_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/custom_split.py',
    '../../_base_/schedules/hicropl_ep50_bs32.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(dataset=dict(num_shots=16))
val_dataloader = dict(dataset=dict(num_shots=16))
test_dataloader = dict(dataset=dict(num_shots=16))
