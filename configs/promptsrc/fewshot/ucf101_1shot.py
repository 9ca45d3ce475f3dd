# PromptSRC 1-shot classification on ucf101 (PromptSRC paper Sec. 4.1): all classes, 1 shot
# per class; 50 epochs for every K as the authors' few-shot yaml.
_base_ = [
    '../../_base_/models/promptsrc_vit-b16.py',
    '../../_base_/protocols/fewshot.py',
    '../../_base_/datasets/ucf101.py',
    '../../_base_/schedules/promptsrc_ep50_bs4.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=1))
val_dataloader = dict(dataset=dict(num_shots=1))
test_dataloader = dict(dataset=dict(num_shots=1))

# PromptSRC's Gaussian prompt aggregation over epochs (GPA, the schedule's gpa_hook);
# the last epoch's aggregate is the model, as in the authors' code.
custom_hooks = _base_.custom_hooks + [_base_.gpa_hook]
test_checkpoint = 'last'
