# KgCoOp's schedule, from the authors' configs/trainers/KgCoOp/vit_b16_ep100_ctxv1.yaml
# (KgCoOp repo): SGD lr 0.002, momentum 0.9, weight decay 5e-4, batch 128 (set in the
# leaf configs: the dataset bases own the dataloaders), 100 epochs, 1 warm-up epoch at a
# constant 1e-5, then cosine (Dassl's ConstantWarmupScheduler +
# CosineAnnealingLR(T_max=max_epoch)). NOTE: the batch size and epochs are recalled from
# the authors' repository; this offline environment could not check them against the yaml.
max_epochs = 100
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

# Global batch the learning rate was tuned for (1 GPU x 128).
auto_scale_lr = dict(base_batch_size=128, enable=False)
