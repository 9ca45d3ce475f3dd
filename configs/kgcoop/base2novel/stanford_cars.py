# KgCoOp base-to-novel generalization on stanford_cars: train on the base classes (16 shots),
# test once on all classes (base / novel / HM), as the KgKgCoOp paper (Sec. 4, base-to-new).
_base_ = [
    '../../_base_/models/kgcoop_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/stanford_cars.py',
    '../../_base_/schedules/kgcoop_ep100_bs128.py',
]

train_dataloader = dict(batch_size=128, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# KgCoOp's hand-crafted prompt of this dataset (CoOp's CUSTOM_TEMPLATES)
model = dict(class_text=dict(templates='a photo of a {}.'))
