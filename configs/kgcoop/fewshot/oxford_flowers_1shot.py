# KgCoOp 1-shot classification on oxford_flowers (KgCoOp paper Sec. 4.1): all classes, 1 shot
# per class; the authors' 100-epoch schedule for every K.
_base_ = [
    '../../_base_/models/kgcoop_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/oxford_flowers.py',
    '../../_base_/schedules/kgcoop_ep100_bs128.py',
]

train_dataloader = dict(batch_size=128, dataset=dict(num_shots=1))
val_dataloader = dict(dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))

# KgCoOp's hand-crafted prompt of this dataset (CoOp's CUSTOM_TEMPLATES)
model = dict(class_text=dict(templates='a photo of a {}, a type of flower.'))
