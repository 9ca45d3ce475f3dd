"""results.json and the report say what produced a run (issue 11, point
10): backbone, pretrained weights, real shots per class, plugin version,
and whether the data is the paper's; the report marks random-weight and
other-data runs, and rounds CSV numbers to 2 decimals."""
import csv
import json
import os.path as osp
import sys

import pytest

from projects.hicropl.evaluation import load_results, write_results
from projects.hicropl.evaluation.results import describe_run
from projects.hicropl.testing.coop_layouts import make_pets
from projects.hicropl.version import __version__

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(__file__)),
                            'test_robustness'))
from robustness_helpers import (demo_root, load_tiny_config,  # noqa: E402
                                load_tool)

report = load_tool('analysis/report')


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    return demo_root(tmp_path_factory.mktemp('provenance'))


def record(dataset='OxfordPets', seed=1, acc=81.23456):
    return dict(protocol='fewshot', setting='HiCroPL', dataset=dataset,
                num_shots=16, seed=seed, config='x.py', evaluations=[
                    dict(protocol='fewshot', role='test', dataset=dataset,
                         metrics={'accuracy/top1': acc})])


def test_results_record_what_produced_them(root, tmp_path):
    cfg = load_tiny_config(tmp_path, root)
    cfg.train_dataloader.dataset.num_shots = 6  # classes have 8 images
    path = write_results(str(tmp_path / 'w'), record(), cfg)
    saved = load_results(path)
    assert saved['plugin_version'] == __version__
    assert saved['backbone'] == json.loads(json.dumps(
        cfg.model.backbone.arch.to_dict()))
    assert saved['pretrained'] is None
    assert saved['shots_per_class'] == [6] * 5
    assert saved['paper_data'] is False
    assert 'HiCroPLDemoDataset' in saved['data_note']


def test_paper_data_means_official_split_and_sizes(tmp_path, monkeypatch):
    from projects.hicropl.datasets import CoOpOxfordPets
    data = tmp_path / 'oxford_pets'
    make_pets(data, n_train=6, n_val=5, n_test=2)
    cfg = dict(model=dict(backbone=dict(arch='ViT-B-16',
                                        pretrained='openai')),
               train_dataloader=dict(dataset=dict(
                   type='CoOpOxfordPets', data_root=str(data),
                   num_shots=16)))
    from mmengine.config import Config
    info = describe_run(Config(cfg))
    assert info['backbone'] == 'ViT-B-16' and info['pretrained'] == 'openai'
    assert info['shots_per_class'] == [6] * 5
    assert info['paper_data'] is False  # a 5-class copy of Pets
    assert 'train 30 (paper 2,944)' in info['data_note']
    monkeypatch.setattr(CoOpOxfordPets, 'EXPECTED_SIZES',
                        dict(classes=5, train=30, val=25, test=10))
    assert describe_run(Config(cfg))['paper_data'] is True


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_report_marks_runs_and_rounds(tmp_path):
    work = tmp_path / 'work'
    paper = dict(record('OxfordPets', 1), backbone='ViT-B-16',
                 pretrained='openai', shots_per_class=[16] * 37,
                 paper_data=True, data_note='')
    random = dict(record('EuroSAT', 1), backbone='ViT-B-16',
                  pretrained=None, shots_per_class=[16, 3],
                  paper_data=True, data_note='')
    custom = dict(record('Mine', 1), backbone='ViT-B-16',
                  pretrained='openai', shots_per_class=[16, 16],
                  paper_data=False, data_note='CoOpImageFolder is not one')
    for i, r in enumerate((paper, random, custom)):
        write_results(str(work / str(i)), r)
    out = tmp_path / 'report'
    report.main([str(work), '--out-dir', str(out), '--only-found',
                 '--shots', '16'])
    md = (out / 'fewshot.md').read_text()
    assert '| OxfordPets | 81.23 |' in md  # unmarked
    assert '| EuroSAT | 81.23† |' in md  # random weights
    assert '| Mine | 81.23‡ |' in md  # not the paper's data
    assert '81.23†‡' in md  # the average inherits both marks
    rows = {(r['row'], r['column']): r for r in read_csv(out / 'fewshot.csv')}
    assert rows[('OxfordPets', '16-shot')]['value'] == '81.23'
    assert rows[('OxfordPets', '16-shot')]['seeds'] == '1:81.23'
    assert rows[('EuroSAT', '16-shot')]['marks'] == '†'
    runs = (out / 'report.md').read_text()
    assert 'none (random weights)' in runs
    assert '3-16 (1 of 2 classes below 16)' in runs
    assert 'CoOpImageFolder is not one' in runs
    assert __version__ in runs


def test_weights_file_recorded_relative_to_the_checkout(tmp_path, monkeypatch):
    """A weights file inside the working directory (the shipped world CLIP)
    is recorded as a clean relative path; tags and outside files as given
    (normalised)."""
    from projects.hicropl.evaluation.results import _weights_name
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / 'configs').mkdir()
    weights = tmp_path / 'checkpoints' / 'w.pt'
    weights.write_bytes(b'')
    monkeypatch.chdir(tmp_path)
    assert _weights_name(str(tmp_path / 'configs' / '..' / 'checkpoints' / 'w.pt')) == \
        'checkpoints/w.pt'
    assert _weights_name('openai') == 'openai' and _weights_name(None) is None
    monkeypatch.chdir(tmp_path / 'checkpoints')
    outside = tmp_path / 'x.pt'
    outside.write_bytes(b'')
    assert _weights_name(str(tmp_path / 'checkpoints' / '..' / 'x.pt')) == str(outside)
