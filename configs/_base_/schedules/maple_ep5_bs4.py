# MaPLe's base-to-novel schedule (paper Sec. 4.1: "5 epochs, batch size 4, learning rate
# 0.0035 via SGD"; the authors' yaml configs/trainers/MaPLe/vit_b16_c2_ep5_batch4_2ctx.yaml,
# reference README section 11; the HiCroPL repo's copy of that yaml says MAX_EPOCH 2 although
# its name says ep5: the paper's 5 is used): SGD lr 0.0035, momentum 0.9, weight decay 5e-4
# (Dassl's defaults), 1 warm-up epoch at a constant 1e-5, then cosine over the epochs
# (Dassl's ConstantWarmupScheduler + CosineAnnealingLR(T_max=max_epoch)). The authors build
# SGD over the whole model; only the prompts and projections have gradients, so only they
# are updated (and decayed), as here. The batch size (4) is set by the leaf configs.
max_epochs = 5
base_lr = 0.0035
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

# Global batch the learning rate was tuned for (1 GPU x 4); scale with
# `tools/train.py --auto-scale-lr` when training on more GPUs.
auto_scale_lr = dict(base_batch_size=4, enable=False)
