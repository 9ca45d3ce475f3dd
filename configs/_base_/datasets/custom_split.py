# Dataset settings: your own data described by a CoOp-format split JSON
# ({"train" | "val" | "test": [[impath, label, classname], ...]}), e.g. written by
#   python tools/dataset_converters/make_split.py data/my_dataset/images \
#       --out data/my_dataset/split_my_dataset.json --seed 1
# Any file name and image folder work (see docs/datasets.md, "Your own data").
# The few-shot/base-new settings live in the dataset dicts below.
dataset_type = 'CoOpDataset'
data_root = 'data/my_dataset'
split_file = 'split_my_dataset.json'  # relative to data_root (or absolute)
image_dir = 'images'  # the split's image paths are relative to data_root/image_dir
dataset_name = 'MyDataset'  # name in results and reports
# Class descriptions {"class name": ["sentence", ...]} (keys: class names with
# '_' replaced by spaces), or use a TemplateTextEmbeddings class_text instead.
class_descriptions = 'data/my_dataset/descriptions.json'
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
        split_file=split_file,
        image_dir=image_dir,
        dataset_name=dataset_name,
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
        split_file=split_file,
        image_dir=image_dir,
        dataset_name=dataset_name,
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
        split_file=split_file,
        image_dir=image_dir,
        dataset_name=dataset_name,
        split='test',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=test_pipeline))

# Evaluators come with the protocol (configs/_base_/protocols/).
