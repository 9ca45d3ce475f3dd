# PromptSRC's schedule, from the authors' configs/trainers/PromptSRC/
# vit_b16_c2_ep20_batch4_4+4ctx.yaml (base-to-novel; values confirmed by the reference README, section 13):
# SGD lr 0.0025, momentum 0.9, weight decay 5e-4, batch 4 (set in the leaf configs: the
# dataset bases own the dataloaders), 20 epochs, 1 warm-up epoch at a constant 1e-5, then
# cosine (Dassl's ConstantWarmupScheduler + CosineAnnealingLR(T_max=max_epoch)).
max_epochs = 20
base_lr = 0.0025
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

# Gaussian prompt aggregation (GPA, PromptSRC Eq. 7): the prompts of each epoch end,
# weighted by a Gaussian over epochs (GPA_MEAN 15, GPA_STD 1). Leaf configs add it
# to the runtime hooks: custom_hooks = _base_.custom_hooks + [_base_.gpa_hook].
# Validation, testing and checkpoints see the aggregated prompts.
gpa_hook = dict(type='EpochAveragingHook', ema_type='GaussianEpochAverage', mean=15, std=1)

# Global batch the learning rate was tuned for (1 GPU x 4).
auto_scale_lr = dict(base_batch_size=4, enable=False)
