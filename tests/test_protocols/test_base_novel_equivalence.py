"""One test run with BaseNovelAccuracy gives exactly the numbers of two
separate runs (base-only and novel-only test sets), on a trained tiny model
built from the real base-to-novel protocol config."""
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner
from protocol_helpers import (CONFIGS, demo_data, demo_descriptions,
                              write_tiny_config)

import projects.hicropl  # noqa: F401
from projects.hicropl.evaluation import harmonic_mean


def test_one_pass_equals_two_separate_runs(tmp_path):
    data = demo_data(tmp_path / 'demo', num_classes=6)
    config = write_tiny_config(
        tmp_path / 'b2n.py', CONFIGS / 'base2novel' / 'oxford_pets.py', data,
        demo_descriptions(tmp_path / 'demo'), max_epochs=2)
    cfg = Config.fromfile(config)
    assert cfg.test_evaluator.type == 'BaseNovelAccuracy'
    assert cfg.test_dataloader.dataset.subsample_classes == 'all'
    cfg.update(work_dir=str(tmp_path / 'work'), log_level='WARNING')
    runner = Runner.from_cfg(cfg)
    runner.train()
    # One pass over the test set with all classes, on the trained model.
    one = runner.test()
    all_classes = list(runner.model.classnames)
    checkpoint = osp.join(cfg.work_dir, 'epoch_2.pth')  # the same weights

    def separate_run(subsample):
        cfg = Config.fromfile(config)
        cfg.update(work_dir=str(tmp_path / f'test_{subsample}'),
                   load_from=checkpoint, log_level='WARNING',
                   experiment_name=f'test_{subsample}',
                   test_evaluator=dict(type='Accuracy', topk=(1, )))
        cfg.test_dataloader.dataset.subsample_classes = subsample
        runner = Runner.from_cfg(cfg)
        metrics = runner.test()
        return metrics['accuracy/top1'], list(runner.model.classnames)

    base, base_classes = separate_run('base')
    novel, novel_classes = separate_run('new')
    # ClassNamesHook: each run classified among its test set's classes.
    assert all_classes == base_classes + novel_classes
    assert (len(base_classes), len(novel_classes)) == (3, 3)

    assert one['b2n/base'] == base
    assert one['b2n/novel'] == novel
    assert one['b2n/hm'] == harmonic_mean(base, novel)
    assert 0 <= one['b2n/all'] <= 100
