# MaPLe's cross-dataset / domain-generalization schedule (the ImageNet source model): the
# authors' yaml configs/trainers/MaPLe/vit_b16_c2_ep5_batch4_2ctx_cross_datasets.yaml
# (reference README section 11: lr 0.0026) and the paper (Sec. 4.1: 2 epochs); batch 4,
# the same SGD and warm-up + cosine as ./maple_ep5_bs4.py.
_base_ = ['./maple_ep5_bs4.py']

max_epochs = 2
base_lr = 0.0026
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = dict(T_max=max_epochs)
train_cfg = dict(max_epochs=max_epochs)
