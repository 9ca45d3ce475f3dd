# CoCoOp's schedule, from the authors' yaml
# configs/trainers/CoCoOp/vit_b16_c4_ep10_batch1_ctxv1.yaml (CoOp repo; the same
# values in the HiCroPL repo's copy): SGD lr 0.002, momentum 0.9, weight decay 5e-4,
# batch size 1 (set by the leaf configs: the dataset bases own the dataloaders),
# 10 epochs, 1 warm-up epoch at a constant 1e-5, then cosine over the epochs
# (Dassl's ConstantWarmupScheduler + CosineAnnealingLR(T_max=max_epoch)).
max_epochs = 10
base_lr = 0.002
warmup_lr = 1e-5

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=5e-4, dampening=0,
                   nesterov=False))

param_scheduler = dict(
    type='ConstantWarmupCosineLR', T_max=max_epochs, warmup=1, warmup_value=warmup_lr,
    by_epoch=True)

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# Global batch the learning rate was tuned for (1 GPU x 1 image); scale with
# `tools/train.py --auto-scale-lr` when training on more GPUs.
auto_scale_lr = dict(base_batch_size=1, enable=False)
