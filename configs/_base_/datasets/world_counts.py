# Dataset settings: WorldCounts: 24 count-shape classes (e.g. 'two stars'), any colour.
# Miniature benchmark suite; see ./world_objects.py.
_base_ = ['./world_objects.py']

world_dataset = 'world_counts'
data_root = 'data/world/' + world_dataset
class_descriptions = data_root + '/descriptions.json'
train_dataloader = dict(dataset=dict(dataset=world_dataset, data_root=data_root))
val_dataloader = dict(dataset=dict(dataset=world_dataset, data_root=data_root))
test_dataloader = dict(dataset=dict(dataset=world_dataset, data_root=data_root))
