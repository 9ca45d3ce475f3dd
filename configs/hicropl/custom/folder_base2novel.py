# Your own folder-per-class data (configs/_base_/datasets/custom_folder.py) with
# the base-to-novel protocol: train on the first half of the sorted classes (16
# shots), select the best epoch on the base-class val split, test once on all
# classes (base / novel / HM). Point data_root at your data, e.g.
#   python tools/run_protocol.py configs/hicropl/custom/folder_base2novel.py --seed 1 \
#       --cfg-options train_dataloader.dataset.data_root=data/birds \
#       val_dataloader.dataset.data_root=data/birds test_dataloader.dataset.data_root=data/birds \
#       model.class_text.descriptions=data/birds/descriptions.json
# or copy this file and edit the dataset _base_.
_base_ = [
    '../../_base_/models/hicropl_vit-b16.py',
    '../../_base_/protocols/base2novel.py',
    '../../_base_/datasets/custom_folder.py',
    '../../_base_/schedules/hicropl_ep50_bs32.py',
]

model = dict(class_text=dict(descriptions={{_base_.class_descriptions}}))
train_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='base'))
test_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
