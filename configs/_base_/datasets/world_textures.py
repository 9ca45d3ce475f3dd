# Dataset settings: WorldTextures: 24 colour-pattern classes (e.g. 'red striped'), any shape.
# Miniature benchmark suite; see ./world_objects.py.
_base_ = ['./world_objects.py']

world_dataset = 'world_textures'
data_root = 'data/world/' + world_dataset
class_descriptions = data_root + '/descriptions.json'
train_dataloader = dict(dataset=dict(dataset=world_dataset, data_root=data_root))
val_dataloader = dict(dataset=dict(dataset=world_dataset, data_root=data_root))
test_dataloader = dict(dataset=dict(dataset=world_dataset, data_root=data_root))
