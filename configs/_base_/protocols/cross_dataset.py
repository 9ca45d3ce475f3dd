# Cross-dataset evaluation (paper Sec. 4.4, Table 2): a model trained on ImageNet
# (all 1000 classes, 16 shots), then tested on other datasets without retraining:
# the test dataset's class names give the class text features (ClassNamesHook).
# A leaf config adds a model and a schedule (HiCroPL: the paper's cross-dataset
# settings, _base_/models/hicropl_vit-b16_cross-dataset.py, 5 epochs, batch 32);
# the source config and every target config of a method share the model, so the
# source checkpoint loads into each target config.
_base_ = ['../default_runtime.py']

protocol = 'cross_dataset'
# ImageNet has no validation split (the authors' val is the test set): the last
# epoch is tested, nothing is selected on test data.
test_checkpoint = 'last'

val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = dict(type='Accuracy', topk=(1, ))
