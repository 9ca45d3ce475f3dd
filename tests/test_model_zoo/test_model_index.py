"""The metafiles of every method (configs/*/metafile.yml), model-index.yml
and tools/analysis/get_flops.py."""
import pytest
import yaml
from modelindex.load_model_index import load

from mmpretrain.apis import list_models
from model_zoo_helpers import REPO_ROOT, load_tool

INDEX = REPO_ROOT / 'model-index.yml'


@pytest.fixture(scope='module')
def models():
    index = load(str(INDEX))
    index.build_models_with_collections()
    return index.models


def test_every_entry_is_a_config_without_invented_results(models):
    names = [m.name for m in models]
    assert len(names) == len(set(names))
    for model in models:
        assert (REPO_ROOT / model.config).is_file(), model.config
        assert model.weights is None, model.name  # nothing trained yet
        assert model.results, model.name
        for result in model.results:
            assert result.task == 'Image Classification'
            assert not result.metrics, f'{model.name}: results must stay ' \
                'empty until trained checkpoints exist'


def test_every_training_config_has_an_entry(models):
    configs = {m.config for m in models}
    folder = REPO_ROOT / 'configs' / 'hicropl'
    # the model zoo: the paper's benchmarks (not the miniature suite's world_* configs)
    expected = {
        str(p.relative_to(REPO_ROOT))
        for sub in ('base2novel', 'fewshot')
        for p in (folder / sub).glob('*.py') if not p.stem.startswith('world_')
    }
    expected |= {'configs/hicropl/cross_dataset/imagenet.py',
                 'configs/hicropl/hicropl_demo.py'}
    assert expected <= configs, sorted(expected - configs)


def test_models_are_in_mmpretrains_model_hub(models):
    registered = set(list_models())  # the plugin registers model-index.yml
    assert {m.name for m in models} <= registered


def test_every_method_has_a_metafile_in_the_index():
    """Every method folder of configs/ has a metafile.yml, imported by
    model-index.yml, with at least one model entry."""
    imported = set(yaml.safe_load(INDEX.read_text())['Import'])
    for folder in sorted((REPO_ROOT / 'configs').iterdir()):
        if not folder.is_dir() or folder.name.startswith('_'):
            continue
        metafile = f'configs/{folder.name}/metafile.yml'
        assert (REPO_ROOT / metafile).is_file(), metafile
        assert metafile in imported, metafile
        assert yaml.safe_load(
            (REPO_ROOT / metafile).read_text())['Models'], metafile


def test_metadata_numbers_are_measured(models, capsys):
    """FLOPs (per image, multiply-adds) and parameter counts of the ViT-B/16
    entries are what tools/analysis/get_flops.py measures."""
    entry = next(m for m in models
                 if m.config == 'configs/hicropl/base2novel/oxford_pets.py')
    tool = load_tool('tools/analysis/get_flops.py')
    result = tool.main([str(REPO_ROOT / entry.config), '--random-weights',
                        '--num-classes', '10'])
    meta = entry.metadata.data
    assert result['params']['total'] == meta['Parameters']
    assert result['params']['trainable'] == meta['Trainable Parameters']
    macs = result['per_image_gflops'] * 1e9 / 2
    assert macs == pytest.approx(meta['FLOPs'], rel=1e-4)
    # the printed report ends with the same numbers as one JSON line
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith('{')
    vit_entries = [m for m in models if m.in_collection == 'HiCroPL'
                   and m.name != 'hicropl_demo']
    assert all(m.metadata.data['FLOPs'] == meta['FLOPs'] for m in vit_entries)


# One entry per method besides HiCroPL's: Oxford Pets (37 classes, all of
# them in the base-to-novel test); per-image FLOPs of learners whose class
# prompts depend on the image (CoCoOp) grow with the number of classes.
PETS_CLASSES = 37


def other_method_entries():
    index = load(str(INDEX))
    index.build_models_with_collections()
    return [
        pytest.param(m.config, m.metadata.data, id=m.name)
        for m in index.models if m.in_collection != 'HiCroPL'
    ]


@pytest.mark.parametrize('config,meta', other_method_entries())
def test_other_methods_numbers_are_measured(config, meta):
    """Each method's entry: parameters, trainable parameters and per-image
    FLOPs (multiply-adds) as tools/analysis/get_flops.py measures them at
    ViT-B/16 on the entry's 37 Oxford Pets classes."""
    tool = load_tool('tools/analysis/get_flops.py')
    result = tool.main([str(REPO_ROOT / config), '--random-weights',
                        '--num-classes', str(PETS_CLASSES)])
    assert result['params']['total'] == meta['Parameters']
    assert result['params']['trainable'] == meta['Trainable Parameters']
    macs = result['per_image_gflops'] * 1e9 / 2
    assert macs == pytest.approx(meta['FLOPs'], rel=1e-4)
