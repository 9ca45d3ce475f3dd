# Cross-dataset and domain-generalization schedule: 5 epochs, batch 32.
_base_ = ['./hicropl_ep50_bs32.py']

max_epochs = 5
param_scheduler = dict(
    type='ConstantWarmupCosineLR', T_max=max_epochs, warmup=1, warmup_value=1e-5, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
