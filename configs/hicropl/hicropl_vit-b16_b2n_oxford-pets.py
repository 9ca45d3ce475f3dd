# HiCroPL, base-to-novel generalization on Oxford Pets (paper Table 1 setting):
# ViT-B/16, 16 shots of the base classes, 16 tokens, depth 12, k = 6, lambda 12,
# 50 epochs, batch 32. Test: base classes; novel classes with
#   --cfg-options test_dataloader.dataset.subsample_classes=new
_base_ = [
    '../_base_/models/hicropl_vit-b16.py',
    '../_base_/datasets/oxford_pets.py',
    '../_base_/schedules/hicropl_ep50_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))

train_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(subsample_classes='base'))
