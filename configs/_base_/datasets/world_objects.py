# Dataset settings: WorldObjects of the miniature benchmark suite (48 colour-shape
# classes of the synthetic world, e.g. 'red star'; see
# projects/hicropl/datasets/world/suite.py). Generated at data/world/<dataset> on
# first use (or all at once: python tools/world/make_suite.py). The other suite
# datasets inherit this file and change `world_dataset` in the dataset dicts.
dataset_type = 'WorldDataset'
world_dataset = 'world_objects'
data_root = 'data/world/' + world_dataset
# Generated with the data (descriptions.json beside the split file)
class_descriptions = data_root + '/descriptions.json'
num_shots = 16  # K shots per class for train, min(K, 4) for val
seed = 1  # seed of the few-shot draw
subsample_classes = 'all'  # 'all' | 'base' | 'new'
image_size = 48  # the images are drawn at the world CLIP's input size

train_pipeline = [
    dict(type='SafeLoadImageFromFile', imdecode_backend='pillow',
         color_type='color_ignore_orientation'),
    dict(type='Resize', scale=image_size, interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='SafeLoadImageFromFile', imdecode_backend='pillow',
         color_type='color_ignore_orientation'),
    dict(type='Resize', scale=image_size, interpolation='bicubic', backend='pillow'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=False,  # re-seeded every epoch: exact --resume
    worker_init_fn=dict(type='seed_worker_from_torch'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        dataset=world_dataset,
        data_root=data_root,
        split='train',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=100,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        dataset=world_dataset,
        data_root=data_root,
        split='val',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=test_pipeline))

test_dataloader = dict(
    batch_size=100,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        dataset=world_dataset,
        data_root=data_root,
        split='test',
        num_shots=num_shots,
        seed=seed,
        subsample_classes=subsample_classes,
        pipeline=test_pipeline))

# Evaluators come with the protocol (configs/_base_/protocols/).
