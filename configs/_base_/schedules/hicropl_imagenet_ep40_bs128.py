# The authors' ImageNet schedule: as hicropl_ep50_bs32 but 40 epochs, batch 128.
_base_ = ['./hicropl_ep50_bs32.py']

max_epochs = 40
param_scheduler = dict(
    type='ConstantWarmupCosineLR', T_max=max_epochs, warmup=1, warmup_value=1e-5, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
auto_scale_lr = dict(base_batch_size=128, enable=False)
