# PromptSRC's schedule, from the authors' configs/trainers/PromptSRC/
# *_cross_datasets.yaml (ImageNet source model of the cross-dataset / domain-generalization protocols). NOTE: epochs and GPA mean/std recalled from the authors' repository, not checked against the yaml in this offline environment:
# SGD lr 0.0025, momentum 0.9, weight decay 5e-4, batch 4 (set in the leaf configs: the
# dataset bases own the dataloaders), 5 epochs, 1 warm-up epoch at a constant 1e-5, then
# cosine (Dassl's ConstantWarmupScheduler + CosineAnnealingLR(T_max=max_epoch)).
max_epochs = 5
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
# weighted by a Gaussian over epochs (GPA_MEAN 6, GPA_STD 10). Leaf configs add it
# to the runtime hooks: custom_hooks = _base_.custom_hooks + [_base_.gpa_hook].
# Validation, testing and checkpoints see the aggregated prompts.
gpa_hook = dict(type='EpochAveragingHook', ema_type='GaussianEpochAverage', mean=6, std=10)

# Global batch the learning rate was tuned for (1 GPU x 4).
auto_scale_lr = dict(base_batch_size=4, enable=False)
