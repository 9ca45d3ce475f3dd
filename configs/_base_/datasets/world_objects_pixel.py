# Dataset settings: WorldObjectsPixel: the 48 WorldObjects classes as pixel art (domain shift; only its test split is used).
# Miniature benchmark suite; see ./world_objects.py.
_base_ = ['./world_objects.py']

world_dataset = 'world_objects_pixel'
data_root = 'data/world/' + world_dataset
class_descriptions = data_root + '/descriptions.json'
# A test-only domain-shift target (like ImageNet-Sketch): no train or val loader.
train_dataloader = None
val_dataloader = None
test_dataloader = dict(dataset=dict(dataset=world_dataset, data_root=data_root))
