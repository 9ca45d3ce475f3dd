# Dataset settings: your own data as a folder-per-class tree, read by
# CoOpImageFolder: data_root/{train,val,test}/<class>/<image>, or a single
# data_root/<class>/<image> tree split on the fly with split_ratios (see
# docs/datasets.md, "Your own data"). Class names are the folder names.
# The few-shot/base-new settings live in the dataset dicts below.
dataset_type = 'CoOpImageFolder'
data_root = 'data/my_folder_dataset'
split_ratios = None  # None: train/val/test folders; or e.g. (0.5, 0.2, 0.3)
# Class descriptions {"class name": ["sentence", ...]} (keys: folder names with
# '_' replaced by spaces), or use a TemplateTextEmbeddings class_text instead.
class_descriptions = 'data/my_folder_dataset/descriptions.json'
num_shots = 16  # K shots per class for train, min(K, 4) for val
seed = 1  # seed of the few-shot draw
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
        split_ratios=split_ratios,
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
        split_ratios=split_ratios,
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
        split_ratios=split_ratios,
        split='test',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=test_pipeline))

# Evaluators come with the protocol (configs/_base_/protocols/).
