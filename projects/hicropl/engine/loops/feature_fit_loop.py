"""A training loop for models fitted in one go on extracted features."""
from typing import Dict, Optional, Tuple, Union

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from torch.utils.data import DataLoader

from mmpretrain.registry import LOOPS


@LOOPS.register_module()
class FeatureFitLoop(BaseLoop):
    """Train a model that fits on features of the whole training set at once.

    For models whose training is not gradient steps over mini-batches but
    one fit on fixed features (e.g. a logistic-regression probe on frozen
    image features solved by full-batch L-BFGS). The loop knows no method;
    the model provides

    * ``extract_feat(inputs) -> Tensor [B, D]``: features of a batch of
      preprocessed inputs (run once per image, eval mode, no autograd);
    * ``fit(features [N, D], labels [N], val_features=None, val_labels=None)
      -> dict``: fit on the training features, selecting its
      hyper-parameters on the validation features when they are given;
      returns scalars to log (e.g. the selected hyper-parameters).

    The training set (``train_dataloader``; give it the test-time pipeline
    for deterministic features) and, when the runner has a validation loop,
    the validation set are passed through ``extract_feat`` once. The fit
    counts as one epoch: the epoch hooks run (the checkpoint hook saves the
    fitted tensors), then the validation loop runs. Single process: the
    features of the whole set are needed in one place (a model without
    trainable parameters is not wrapped in DDP anyway).

    MMEngine's runner requires an ``optim_wrapper`` with a training loop
    (built over the model's parameters, e.g. the frozen backbone's); this
    loop never steps it.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training dataloader.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict]):
        super().__init__(runner, dataloader)
        self._epoch = 0
        self._iter = 0

    @property
    def max_epochs(self) -> int:
        return 1

    @property
    def max_iters(self) -> int:
        return len(self.dataloader)

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    def _model(self) -> torch.nn.Module:
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    @torch.no_grad()
    def extract(self, dataloader: DataLoader) -> Tuple[torch.Tensor, torch.Tensor]:
        """Features ``[N, D]`` and labels ``[N]`` of every item of
        ``dataloader``, in its order."""
        model = self._model()
        was_training = model.training
        model.eval()
        features, labels = [], []
        for data_batch in dataloader:
            data = model.data_preprocessor(data_batch, False)
            features.append(model.extract_feat(data['inputs']))
            labels.append(
                torch.cat([s.gt_label for s in data['data_samples']]))
        model.train(was_training)
        return torch.cat(features), torch.cat(labels).to(features[0].device)

    def run(self) -> torch.nn.Module:
        runner = self.runner
        runner.call_hook('before_train')
        runner.call_hook('before_train_epoch')
        features, labels = self.extract(self.dataloader)
        val_loop = runner.val_loop
        val: Dict[str, Optional[torch.Tensor]] = dict(
            val_features=None, val_labels=None)
        if val_loop is not None:
            val['val_features'], val['val_labels'] = self.extract(
                val_loop.dataloader)
        runner.logger.info(
            f'Fitting on {len(labels)} training features'
            + (f', selecting on {len(val["val_labels"])} validation features'
               if val_loop is not None else '') + '.')
        info = self._model().fit(features, labels, **val) or {}
        for key, value in info.items():
            runner.message_hub.update_scalar(f'train/{key}', float(value))
        runner.logger.info('Fit: ' + ', '.join(
            f'{key}: {float(value):.6g}' for key, value in info.items()))
        self._iter = self.max_iters
        runner.call_hook('after_train_epoch')
        self._epoch += 1
        if val_loop is not None:
            val_loop.run()
        runner.call_hook('after_train')
        return runner.model
