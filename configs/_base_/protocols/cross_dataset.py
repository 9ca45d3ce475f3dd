# Cross-dataset evaluation (paper Sec. 4.4, Table 2): HiCroPL trained on ImageNet
# (all 1000 classes, 16 shots) with the paper's cross-dataset settings (App. B:
# 2 prompt tokens initialised from "a photo of a", depth 6, k = 5, lambda 12,
# 5 epochs, batch 32), then tested on other datasets without retraining: the
# test dataset's class names give the class text features (ClassNamesHook).
# The source config and every target config share this model, so the source
# checkpoint loads into each target config.
_base_ = [
    '../models/hicropl_vit-b16.py', '../schedules/hicropl_ep5_bs32.py',
    '../default_runtime.py'
]

protocol = 'cross_dataset'
# ImageNet has no validation split (the authors' val is the test set): the last
# epoch is tested, nothing is selected on test data.
test_checkpoint = 'last'

model = dict(
    prompt_learner=dict(n_ctx=2, ctx_init='a photo of a', depth=6, cross_layer=5))

val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = dict(type='Accuracy', topk=(1, ))
