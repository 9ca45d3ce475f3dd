# Few-shot classification (paper Sec. 4.3, Fig. 3, Table 14).
# A leaf config adds a model, a dataset, a schedule and K (num_shots of the train/val/test
# dataset dicts: K in 1, 2, 4, 8, 16), all classes; the test set is the full test
# split. Model selection on the min(K, 4)-shot val split as in the authors' code.
_base_ = ['../default_runtime.py']

protocol = 'fewshot'
test_checkpoint = 'best'  # 'best' (validation) | 'last'

val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = dict(type='Accuracy', topk=(1, ))
