# KgCoOp 4-shot classification on oxford_pets (KgCoOp paper Sec. 4.1): all classes, 4 shots
# per class; the authors' 100-epoch schedule for every K.
_base_ = [
    '../../_base_/models/kgcoop_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/oxford_pets.py',
    '../../_base_/schedules/kgcoop_ep100_bs128.py',
]

train_dataloader = dict(batch_size=128, dataset=dict(num_shots=4))
val_dataloader = dict(dataset=dict(num_shots=4))
test_dataloader = dict(dataset=dict(num_shots=4))

# KgCoOp's hand-crafted prompt of this dataset (CoOp's CUSTOM_TEMPLATES)
model = dict(class_text=dict(templates='a photo of a {}, a type of pet.'))
