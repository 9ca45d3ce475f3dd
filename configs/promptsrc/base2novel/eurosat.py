# PromptSRC base-to-novel generalization on eurosat: train on the base classes (16 shots),
# test once on all classes (base / novel / HM), as the PromptSRC paper (Sec. 4, base-to-novel).
_base_ = [
    '../../_base_/models/promptsrc_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/eurosat.py',
    '../../_base_/schedules/promptsrc_ep20_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# PromptSRC's Gaussian prompt aggregation over epochs (GPA, the schedule's gpa_hook);
# the last epoch's aggregate is the model, as in the authors' code.
custom_hooks = _base_.custom_hooks + [_base_.gpa_hook]
test_checkpoint = 'last'
