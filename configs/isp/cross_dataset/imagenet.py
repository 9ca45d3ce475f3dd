# ISP source model of the cross-dataset and domain-generalization protocols:
# ImageNet, all 1000 classes, 16 shots.
# Schedule: IVLP's (SGD lr 0.0025, batch 4, 20 epochs; the ISP abstract gives none).
# `tools/run_protocol.py` trains it, tests it on ImageNet, then tests the same
# checkpoint with every config of `eval_targets` without retraining.
_base_ = [
    '../../_base_/models/isp_vit-b16.py',
    '../../_base_/protocols/cross_dataset.py',
    '../../_base_/schedules/isp_ep20_bs4.py',
    '../../_base_/datasets/imagenet.py',
]

train_dataloader = dict(batch_size=4, dataset=dict(num_shots=16, subsample_classes='all'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))

# ImageNet has no validation split (its val is the test set, as in the authors'
# code): no model selection on test data, the last epoch is tested.
val_dataloader = None
val_cfg = None
val_evaluator = None

# Target configs tested after training (fileDirname: the folder of this file).
eval_targets = [
    '{{ fileDirname }}/caltech101.py',
    '{{ fileDirname }}/oxford_pets.py',
    '{{ fileDirname }}/stanford_cars.py',
    '{{ fileDirname }}/oxford_flowers.py',
    '{{ fileDirname }}/food101.py',
    '{{ fileDirname }}/fgvc_aircraft.py',
    '{{ fileDirname }}/sun397.py',
    '{{ fileDirname }}/dtd.py',
    '{{ fileDirname }}/eurosat.py',
    '{{ fileDirname }}/ucf101.py',
    '{{ fileDirname }}/../domain_generalization/imagenetv2.py',
    '{{ fileDirname }}/../domain_generalization/imagenet_sketch.py',
    '{{ fileDirname }}/../domain_generalization/imagenet_a.py',
    '{{ fileDirname }}/../domain_generalization/imagenet_r.py',
]
