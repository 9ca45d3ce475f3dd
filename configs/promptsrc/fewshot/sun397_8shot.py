# PromptSRC 8-shot classification on sun397 (PromptSRC paper Sec. 4.1): all classes, 8 shots
# per class; 50 epochs for every K as the authors' few-shot yaml.
_base_ = [
    '../../_base_/models/promptsrc_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/sun397.py',
    '../../_base_/schedules/promptsrc_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=8))
val_dataloader = dict(dataset=dict(num_shots=8))
test_dataloader = dict(dataset=dict(num_shots=8))

# PromptSRC's Gaussian prompt aggregation over epochs (GPA, the schedule's gpa_hook);
# the last epoch's aggregate is the model, as in the authors' code.
custom_hooks = _base_.custom_hooks + [_base_.gpa_hook]
test_checkpoint = 'last'
