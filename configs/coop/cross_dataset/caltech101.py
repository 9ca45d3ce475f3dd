# CoOp cross-dataset protocol on caltech101 (CoCoOp paper Table 2 setting): the ImageNet
# model (16 shots, all classes) tested without retraining.
_base_ = [
    '../../_base_/models/coop_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/coop_ep50_bs32.py',
    '../../_base_/datasets/caltech101.py',
]
