# HiCroPL, few-shot classification on Oxford Pets: all classes, K = 16 shots
# (K = 1, 2, 4, 8: --cfg-options train_dataloader.dataset.num_shots=K
#  val_dataloader.dataset.num_shots=K), paper's base-to-novel model settings.
_base_ = [
    '../_base_/models/hicropl_vit-b16.py',
    '../_base_/datasets/oxford_pets.py',
    '../_base_/schedules/hicropl_ep50_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))

train_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
test_dataloader = dict(dataset=dict(subsample_classes='all'))
