"""Every file the project reads with pickle refuses a malicious payload with a
clear error, and the payload never runs: checkpoints through tools/test.py,
``--resume PATH``, automatic resume and ``load_from``; CLIP weights files;
the authors' few-shot cache; the authors' checkpoints given to the
converter; publish_model's input. (The text-embedding cache:
test_cache_integrity.py.)

Two payloads: ``os.system`` (classic), and a gadget that only uses globals
that ARE allow-listed for mmengine checkpoints (numpy arrays) plus
``getattr`` -- it would write a file if the real ``getattr`` were allowed.
"""
import os
import pickle
import uuid
import zipfile

import numpy as np
import pytest
import torch

from mmpretrain.registry import DATASETS, MODELS
from projects.hicropl.engine import UnsafeCheckpointError
from projects.hicropl.testing import tiny_clip_arch
from projects.hicropl.testing.coop_layouts import make_pets
from robustness_helpers import demo_root, load_tool, write_tiny_config

train_tool = load_tool('train')
test_tool = load_tool('test')


class OsSystem:

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class GetattrGadget:

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (np.zeros(1).tofile, (self.marker, ))


PAYLOADS = [OsSystem, GetattrGadget]


@pytest.fixture(autouse=True)
def _keep_local_rank(monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', os.environ.get('LOCAL_RANK', '0'))


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp('safe_loading')
    config = write_tiny_config(folder, demo_root(folder), epochs=1)
    return folder, config


def evil_checkpoint(path, payload):
    """Looks like an mmengine checkpoint; the payload hides in message_hub."""
    torch.save(dict(meta=dict(epoch=1, iter=5), state_dict={},
                    message_hub=dict(log_scalars={}, runtime_info=payload)), path)
    return str(path)


def cfg_options():
    return ['--cfg-options', f'experiment_name=safe_{uuid.uuid4().hex}']


def assert_refused(err, path, marker):
    msg = str(err.value)
    assert f'Refusing to load checkpoint {str(path)!r}' in msg
    assert 'refused for safety' in msg
    assert "Disallowed globals: ['posix.system']" in msg or \
        "getattr(<ndarray object>, 'tofile') is not allowed" in msg, msg
    assert not marker.exists()


@pytest.mark.parametrize('payload', PAYLOADS)
def test_tools_test_refuses(setup, tmp_path, payload):
    folder, config = setup
    marker = tmp_path / 'pwned'
    ckpt = evil_checkpoint(tmp_path / 'evil.pth', payload(marker))
    with pytest.raises(UnsafeCheckpointError) as err:
        test_tool.main([config, ckpt, '--work-dir', str(tmp_path / 'work'), '--no-pin-memory',
                        *cfg_options()])
    assert_refused(err, ckpt, marker)


@pytest.mark.parametrize('how', ['resume_path', 'auto_resume', 'load_from'])
def test_training_refuses(setup, tmp_path, how):
    folder, config = setup
    marker = tmp_path / 'pwned'
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    ckpt = evil_checkpoint(work_dir / 'epoch_1.pth', OsSystem(marker))
    args = [config, '--work-dir', str(work_dir), '--no-pin-memory']
    if how == 'resume_path':
        args += ['--resume', ckpt]
    elif how == 'auto_resume':
        (work_dir / 'last_checkpoint').write_text(ckpt)
        args += ['--resume']
    else:
        args += ['--cfg-options', f'load_from={ckpt}']
    with pytest.raises(UnsafeCheckpointError) as err:
        train_tool.main(args + cfg_options())
    assert_refused(err, ckpt, marker)


def test_truncated_checkpoint_is_a_clear_error(setup, tmp_path):
    from projects.hicropl.engine import CorruptCheckpointError
    folder, config = setup
    ckpt = tmp_path / 'half.pth'
    torch.save({'state_dict': {'w': torch.ones(1000)}}, ckpt)
    ckpt.write_bytes(ckpt.read_bytes()[:2000])
    with pytest.raises(CorruptCheckpointError, match='incomplete or not a torch checkpoint'):
        test_tool.main([config, str(ckpt), '--work-dir', str(tmp_path / 'w'), '--no-pin-memory',
                        *cfg_options()])


@pytest.mark.parametrize('payload', PAYLOADS)
def test_clip_weights_file_refuses(tmp_path, payload):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'ViT-tiny.pt'
    torch.save({'state_dict': {'x': payload(marker)}}, path)
    with pytest.raises(RuntimeError) as err:
        MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(path)))
    assert f'Cannot read CLIP weights from {path}' in str(err.value)
    assert 'weights_only=True' in str(err.value)
    assert not marker.exists()


def test_clip_weights_fake_torchscript_archive_refuses(tmp_path):
    """A pickle dressed up as an OpenAI TorchScript archive goes to
    ``torch.jit.load``, whose unpickler cannot call Python functions."""
    marker = tmp_path / 'pwned'
    path = tmp_path / 'ViT-B-16.pt'
    torch.save({'x': OsSystem(marker)}, path)
    with zipfile.ZipFile(path, 'a') as archive:
        archive.writestr('archive/constants.pkl', pickle.dumps(OsSystem(marker)))
    with pytest.raises(Exception):
        MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(path)))
    assert not marker.exists()


@pytest.mark.parametrize('payload', PAYLOADS)
def test_authors_fewshot_cache_refuses(tmp_path, payload):
    root = tmp_path / 'oxford_pets'
    make_pets(root)
    marker = tmp_path / 'pwned'
    cache = root / 'split_fewshot' / 'shot_4-seed_1.pkl'
    cache.parent.mkdir()
    cache.write_bytes(pickle.dumps({'train': [payload(marker)], 'val': []}))
    with pytest.raises(pickle.UnpicklingError) as err:
        DATASETS.build(dict(type='CoOpOxfordPets', data_root=str(root), num_shots=4, seed=1,
                            official_cache=True))
    msg = str(err.value)
    assert str(cache) in msg and 'Refusing to load global' in msg
    assert 'Nothing from the file was executed' in msg
    assert not marker.exists()


@pytest.mark.parametrize('payload', PAYLOADS)
def test_converter_refuses(tmp_path, payload):
    converter = load_tool('model_converters/hicropl_official_to_mmpretrain')
    marker = tmp_path / 'pwned'
    src = tmp_path / 'model-best.pth.tar'
    torch.save({'state_dict': {'prompt_learner.ctx': torch.zeros(2, 4)}, 'epoch': 5,
                'scheduler': payload(marker)}, src)
    with pytest.raises(pickle.UnpicklingError) as err:
        converter.load_dassl_checkpoint(str(src))
    assert 'Refusing to load' in str(err.value) and 'restricted unpickler' in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize('payload', PAYLOADS)
def test_publish_model_refuses(tmp_path, payload):
    publish = load_tool('model_converters/publish_model')
    marker = tmp_path / 'pwned'
    src = evil_checkpoint(tmp_path / 'epoch_1.pth', payload(marker))
    with pytest.raises(UnsafeCheckpointError):
        publish.main([src, str(tmp_path / 'out.pth')])
    assert not marker.exists()


def test_payloads_are_live(tmp_path):
    """Control: an unrestricted unpickler runs both payloads."""
    for payload in PAYLOADS:
        marker = tmp_path / payload.__name__
        pickle.loads(pickle.dumps(payload(marker), protocol=2))
        assert marker.exists()
