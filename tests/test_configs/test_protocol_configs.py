"""The four protocols as configs: one leaf per dataset (and K), each a few
lines over configs/_base_/protocols/, with the paper's settings; seeds from
the command line, 1 by default."""
import importlib.util
import os.path as osp
from pathlib import Path

import pytest
from mmengine.config import Config

import projects.hicropl  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs' / 'hicropl'
DATASETS = ['imagenet', 'caltech101', 'oxford_pets', 'stanford_cars', 'oxford_flowers',
            'food101', 'fgvc_aircraft', 'sun397', 'dtd', 'eurosat', 'ucf101']
DG = ['imagenetv2', 'imagenet_sketch', 'imagenet_a', 'imagenet_r']
SHOTS = [1, 2, 4, 8, 16]
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'cfg_tests_{name}',
                                                  REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def statements(path):
    """Top-level statements of a leaf config, without comments."""
    text = [line for line in Path(path).read_text().splitlines()
            if line.strip() and not line.lstrip().startswith('#')]
    return [line for line in text if not line.startswith((' ', ']', ')'))]


def check_schedule(cfg, dataset):
    epochs, batch = (40, 128) if dataset == 'imagenet' else (50, 32)
    assert cfg.train_cfg.max_epochs == epochs and cfg.param_scheduler.T_max == epochs
    assert cfg.train_dataloader.batch_size == batch


def check_selection(cfg, dataset, shots):
    if dataset == 'imagenet':  # val = test: no selection on it, last epoch
        assert cfg.val_dataloader is None and cfg.val_cfg is None
        assert cfg.test_checkpoint == 'last'
    else:  # the few-shot val split, same classes as training, every epoch
        assert cfg.test_checkpoint == 'best' and cfg.train_cfg.val_interval == 1
        val = cfg.val_dataloader.dataset
        assert (val.split, val.num_shots) == ('val', shots)
        assert val.subsample_classes == cfg.train_dataloader.dataset.subsample_classes
        assert cfg.val_evaluator.type == 'Accuracy'


@pytest.mark.parametrize('dataset', DATASETS)
def test_base2novel(dataset):
    path = CONFIGS / 'base2novel' / f'{dataset}.py'
    cfg = Config.fromfile(str(path))
    assert cfg.protocol == 'base2novel'
    train = cfg.train_dataloader.dataset
    assert (train.num_shots, train.subsample_classes, train.seed) == (16, 'base', 1)
    test = cfg.test_dataloader.dataset
    assert (test.split, test.subsample_classes) == ('test', 'all')
    assert cfg.test_evaluator.type == 'BaseNovelAccuracy'
    assert cfg.model.class_text.descriptions.endswith('_prompt.json')
    check_schedule(cfg, dataset)
    check_selection(cfg, dataset, 16)
    assert len(statements(path)) <= 12


@pytest.mark.parametrize('dataset', DATASETS)
@pytest.mark.parametrize('shots', SHOTS)
def test_fewshot(dataset, shots):
    path = CONFIGS / 'fewshot' / f'{dataset}_{shots}shot.py'
    cfg = Config.fromfile(str(path))
    assert cfg.protocol == 'fewshot'
    for key in LOADERS:
        if cfg.get(key):
            assert cfg[key].dataset.num_shots == shots
            assert cfg[key].dataset.subsample_classes == 'all'
    assert cfg.test_evaluator.type == 'Accuracy'
    check_schedule(cfg, dataset)
    check_selection(cfg, dataset, shots)
    assert len(statements(path)) <= 12


def test_cross_dataset_and_domain_generalization():
    source = Config.fromfile(str(CONFIGS / 'cross_dataset' / 'imagenet.py'))
    assert source.protocol == 'cross_dataset' and source.test_checkpoint == 'last'
    assert source.val_dataloader is None  # ImageNet: no validation split
    train = source.train_dataloader.dataset
    assert (train.type, train.num_shots, train.subsample_classes) == (
        'CoOpImageNet', 16, 'all')
    targets = [osp.normpath(osp.join(CONFIGS / 'cross_dataset', t))
               for t in source.eval_targets]
    expected = [str(CONFIGS / 'cross_dataset' / f'{d}.py') for d in DATASETS[1:]]
    expected += [str(CONFIGS / 'domain_generalization' / f'{d}.py') for d in DG]
    assert targets == expected
    source_model = source.model.to_dict()
    source_model.pop('class_text')
    for path in targets:
        cfg = Config.fromfile(path)
        # The source checkpoint fits: same model, only the class text differs.
        model = cfg.model.to_dict()
        model.pop('class_text')
        assert model == source_model
        assert cfg.protocol == ('domain_generalization' if 'domain_generalization' in path
                                else 'cross_dataset')
        assert cfg.test_dataloader.dataset.get('subsample_classes', 'all') == 'all'
        assert cfg.test_evaluator.type == 'Accuracy'
        assert len(statements(path)) <= 4


def test_seed_from_the_command_line(monkeypatch):
    """--seed sets the run seed and the few-shot seed of every dataset;
    tools/run_protocol.py also takes --cfg-options randomness.seed=N."""
    monkeypatch.setenv('LOCAL_RANK', '0')
    train = load_tool('train')
    run_protocol = load_tool('run_protocol')
    path = str(CONFIGS / 'base2novel' / 'dtd.py')
    cfg = train.merge_args(Config.fromfile(path), train.parse_args([path, '--seed', '3']))
    assert cfg.randomness.seed == 3
    assert {cfg[k].dataset.seed for k in LOADERS} == {3}
    cfg = Config.fromfile(path)
    assert run_protocol.effective_seed(cfg) == 1
    cfg.merge_from_dict({'randomness.seed': 2})
    assert run_protocol.effective_seed(cfg) == 2
    assert run_protocol.effective_seed(cfg, 5) == 5
    assert run_protocol.default_work_dir(path, 2) == osp.join(
        'work_dirs', 'hicropl', 'base2novel', 'dtd', 'seed2')


def test_custom_examples():
    folder = Config.fromfile(str(CONFIGS / 'custom' / 'folder_base2novel.py'))
    assert folder.train_dataloader.dataset.type == 'CoOpImageFolder'
    assert folder.test_evaluator.type == 'BaseNovelAccuracy'
    split = Config.fromfile(str(CONFIGS / 'custom' / 'split_json_fewshot_16shot.py'))
    data = split.test_dataloader.dataset
    assert (data.type, data.split_file, data.image_dir) == (
        'CoOpDataset', 'split_my_dataset.json', 'images')
