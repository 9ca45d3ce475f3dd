"""Each method's runs carry their own label in results.json, so the report
never averages two methods together (KgCoOp uses CoOp's learner)."""
import glob
import importlib.util
import os.path as osp

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROTOCOLS = ('base2novel', 'fewshot', 'cross_dataset', 'domain_generalization')


def _run_protocol():
    spec = importlib.util.spec_from_file_location(
        'run_protocol', osp.join(REPO, 'tools', 'run_protocol.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _labels():
    """method folder -> the labels of a paper and a world config of each
    of its protocols."""
    default_setting = _run_protocol().default_setting
    labels = {}
    for method in sorted(glob.glob(osp.join(REPO, 'configs', '*', ''))):
        name = osp.basename(osp.dirname(method))
        if name == '_base_':
            continue
        found = set()
        for protocol in PROTOCOLS:
            paths = sorted(glob.glob(osp.join(method, protocol, '*.py')))
            world = [p for p in paths if osp.basename(p).startswith('world')]
            paper = [p for p in paths if p not in world]
            for path in paper[:1] + world[:1]:
                found.add(default_setting(Config.fromfile(path)))
        labels[name] = found
    return labels


def test_one_label_per_method_and_no_label_shared():
    labels = _labels()
    assert {'coop', 'kgcoop', 'hicropl', 'zsclip'} <= set(labels)
    for method, found in labels.items():
        assert len(found) == 1, (method, found)
    names = [next(iter(found)) for found in labels.values()]
    assert len(set(names)) == len(names), labels
    assert next(iter(labels['kgcoop'])) == 'KgCoOp'
