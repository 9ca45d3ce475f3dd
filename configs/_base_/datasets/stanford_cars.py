# Dataset settings: StanfordCars as in CoOp (split_zhou_StanfordCars.json).
# The few-shot/base-new settings live in the dataset dicts below; override
# them per split, e.g. `--cfg-options train_dataloader.dataset.num_shots=4
# val_dataloader.dataset.num_shots=4 test_dataloader.dataset.num_shots=4`
# (the top-level variables are only read when this file is parsed).
dataset_type = 'CoOpStanfordCars'
data_root = 'data/stanford_cars'
# LLM-written class descriptions in the authors' format (their gpt_file/stanford_cars_prompt.json)
class_descriptions = 'data/gpt_file/stanford_cars_prompt.json'
num_shots = 16  # K shots per class for train, min(K, 4) for val
seed = 1  # seed of the few-shot draw (the authors' scripts use 1, 2, 3)
subsample_classes = 'all'  # 'all' | 'base' | 'new'

train_pipeline = [
    dict(
        type='SafeLoadImageFromFile',
        imdecode_backend='pillow',
        color_type='color_ignore_orientation'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.08, 1.0),
        interpolation='bicubic',
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(
        type='SafeLoadImageFromFile',
        imdecode_backend='pillow',
        color_type='color_ignore_orientation'),
    dict(
        type='ResizeEdge',
        scale=224,
        edge='short',
        interpolation='bicubic',
        backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=False,  # re-seeded every epoch: exact --resume
    worker_init_fn=dict(type='seed_worker_from_torch'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=100,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=test_pipeline))

test_dataloader = dict(
    batch_size=100,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=test_pipeline))

# Evaluators come with the protocol (configs/_base_/protocols/).
