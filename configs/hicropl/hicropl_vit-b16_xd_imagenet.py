# HiCroPL, cross-dataset / domain-generalization source model: ImageNet, all
# 1000 classes, 16 shots; 2 prompt tokens initialised from "a photo of a",
# depth 6, k = 5, lambda 12, 5 epochs, batch 32 (paper Sec. 4 / App. B).
# Evaluate on another dataset without retraining by testing with that
# dataset's config and this checkpoint.
_base_ = [
    '../_base_/models/hicropl_vit-b16.py',
    '../_base_/datasets/imagenet.py',
    '../_base_/schedules/hicropl_ep5_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(
    prompt_learner=dict(n_ctx=2, ctx_init='a photo of a', depth=6, cross_layer=5),
    class_text=dict(descriptions={{_base_.class_descriptions}}))

train_dataloader = dict(batch_size=32, dataset=dict(num_shots=16, subsample_classes='all'))
val_dataloader = dict(dataset=dict(num_shots=16, subsample_classes='all'))
test_dataloader = dict(dataset=dict(subsample_classes='all'))
