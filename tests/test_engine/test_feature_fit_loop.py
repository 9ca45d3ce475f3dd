"""FeatureFitLoop: extracts the training (and validation) features once,
calls the model's fit, saves the fitted tensors, validates."""
import os.path as osp

import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


class Points(Dataset):
    """Two classes of 2-d points (class = sign of the first coordinate)."""
    metainfo = dict(classes=('neg', 'pos'))

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 2, generator=g)
        self.y = (self.x[:, 0] > 0).long()

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], data_samples=DataSample().set_gt_label(int(self.y[i])))


@MODELS.register_module(force=True)
class NearestMeanToy(BaseModel):
    """Class means of the features: a model fitted in one go."""
    calls = []

    def __init__(self):
        super().__init__()
        self.register_buffer('means', torch.zeros(2, 2))
        # the runner builds an (unused) optimizer over the parameters: a
        # frozen backbone's in practice
        self.frozen = torch.nn.Parameter(torch.zeros(()), requires_grad=False)
        self.classnames = []

    def set_classnames(self, classnames):
        self.classnames = list(classnames)

    def extract_feat(self, inputs):
        assert not self.training and not torch.is_grad_enabled()
        return torch.stack(inputs)

    def fit(self, features, labels, val_features=None, val_labels=None):
        NearestMeanToy.calls.append((features, labels, val_features, val_labels))
        self.means = torch.stack([features[labels == c].mean(0) for c in (0, 1)])
        return dict(num_features=len(labels))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        scores = -torch.cdist(torch.stack(inputs), self.means)
        for sample, score in zip(data_samples, scores.softmax(-1)):
            sample.set_pred_score(score).set_pred_label(score.argmax())
        return data_samples


def test_fit_once_save_and_validate(tmp_path):
    NearestMeanToy.calls.clear()
    loader = dict(batch_size=7, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='pseudo_collate'))
    runner = Runner(
        model=dict(type='NearestMeanToy'),
        work_dir=str(tmp_path),
        train_dataloader=dict(loader, dataset=Points(40, 0)),
        val_dataloader=dict(loader, dataset=Points(20, 1)),
        train_cfg=dict(type='FeatureFitLoop'),
        val_cfg=dict(),
        val_evaluator=dict(type='mmpretrain.Accuracy', topk=(1, )),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[dict(type='ClassNamesHook')],
        default_scope='mmpretrain')
    runner.train()
    (features, labels, val_features, val_labels), = NearestMeanToy.calls
    assert torch.equal(features, Points(40, 0).x) and torch.equal(labels, Points(40, 0).y)
    assert torch.equal(val_features, Points(20, 1).x)
    assert torch.equal(val_labels, Points(20, 1).y)
    assert runner.epoch == 1 and runner.model.classnames == ['neg', 'pos']
    state = torch.load(osp.join(str(tmp_path), 'epoch_1.pth'), weights_only=False)['state_dict']
    assert torch.equal(state['means'], runner.model.means)
    assert runner.message_hub.get_scalar('train/num_features').current() == 40
    accuracy = runner.message_hub.get_scalar('val/accuracy/top1').current()
    assert accuracy > 80
