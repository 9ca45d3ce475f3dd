# Base-to-novel generalization (paper Sec. 4.1, Table 1).
# A leaf config adds a model, a dataset and a schedule and trains on the base classes
# (train/val subsample_classes='base', 16 shots); the test set holds ALL classes
# and BaseNovelAccuracy reports, in one pass, base accuracy (base images among the
# base classes), novel accuracy (novel images among the novel classes), their
# harmonic mean and the joint accuracy over all classes.
# Model selection as in the authors' code: the few-shot val split (min(K, 4)
# shots of the base classes) after every epoch, best checkpoint kept (ties ->
# later epoch); `tools/run_protocol.py` tests it (`--last`: the last epoch).
_base_ = ['../default_runtime.py']

protocol = 'base2novel'  # read by tools/run_protocol.py and the results report
test_checkpoint = 'best'  # 'best' (validation) | 'last'

val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = dict(type='BaseNovelAccuracy')
