# CoCoOp cross-dataset protocol on caltech101 (CoCoOp paper Sec. 4.2, Table 2): the ImageNet
# model (16 shots, all classes) tested without retraining.
_base_ = [
    '../../_base_/models/cocoop_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/cocoop_ep10_bs1.py',
    '../../_base_/datasets/caltech101.py',
]
