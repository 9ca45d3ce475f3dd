# PromptSRC base-to-novel generalization on imagenet: train on the base classes (16 shots),
# test once on all classes (base / novel / HM), as the PromptSRC paper (Sec. 4, base-to-novel).
_base_ = [
    '../../_base_/models/promptsrc_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/promptsrc_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'

# PromptSRC's Gaussian prompt aggregation over epochs (GPA, the schedule's gpa_hook);
# the last epoch's aggregate is the model, as in the authors' code.
custom_hooks = _base_.custom_hooks + [_base_.gpa_hook]
