# Dataset settings: ImageNet-A as in CoOp (200 classes).
# Test only: few-shot and base/new settings do not apply, as in the
# authors' code.
dataset_type = 'CoOpImageNetA'
data_root = 'data/imagenet-adversarial'
# LLM-written class descriptions in the authors' format (their gpt_file/imagenet_a_prompt.json)
class_descriptions = 'data/gpt_file/imagenet_a_prompt.json'

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

test_dataloader = dict(
    batch_size=100,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))

# Evaluators come with the protocol (configs/_base_/protocols/).
