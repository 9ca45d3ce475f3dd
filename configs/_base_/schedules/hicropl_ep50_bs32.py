# The authors' schedule: Adam (lr 0.0025, eps 1e-3, weight decay 5e-4 coupled),
# 1 warm-up epoch at a constant 1e-5, then cosine over the epochs (Dassl's
# ConstantWarmupScheduler + CosineAnnealingLR(T_max=max_epoch)); batch 32.
max_epochs = 50
base_lr = 0.0025
warmup_lr = 1e-5

optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=base_lr, betas=(0.9, 0.999), eps=1e-3, weight_decay=5e-4))

param_scheduler = dict(
    type='ConstantWarmupCosineLR', T_max=max_epochs, warmup=1, warmup_value=warmup_lr,
    by_epoch=True)

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# Global batch the learning rate was tuned for (1 GPU x 32); scale with
# `tools/train.py --auto-scale-lr` when training on more GPUs.
auto_scale_lr = dict(base_batch_size=32, enable=False)
