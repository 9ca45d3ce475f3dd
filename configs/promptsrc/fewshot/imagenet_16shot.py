# PromptSRC 16-shot classification on imagenet (PromptSRC paper Sec. 4.1): all classes, 16 shots
# per class; 50 epochs for every K as the authors' few-shot yaml.
_base_ = [
    '../../_base_/models/promptsrc_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/imagenet.py',
    '../../_base_/schedules/promptsrc_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16))
test_dataloader = dict(dataset=dict(num_shots=16))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'

# PromptSRC's Gaussian prompt aggregation over epochs (GPA, the schedule's gpa_hook);
# the last epoch's aggregate is the model, as in the authors' code.
custom_hooks = _base_.custom_hooks + [_base_.gpa_hook]
