"""The synthetic world, its miniature benchmark suite and the shipped world
CLIP (unit level; the generalization claims: tests/test_e2e/
test_world_generalization_e2e.py)."""
import hashlib
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from projects.hicropl.datasets import WorldDataset
from projects.hicropl.datasets.world import Scene, caption, render_scene
from projects.hicropl.datasets.world.suite import (DESCRIPTION_FILE, SUITE,
                                                   prepare_world_dataset,
                                                   split_file_name)
from projects.hicropl.errors import ConfigError
from projects.hicropl.models.backbones.clip_factory import build_open_clip

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WORLD_CLIP = osp.join(REPO, 'configs', '_base_', 'world_clip.py')


def test_rendering_is_a_function_of_the_seed():
    scene = Scene('star', 'red', 'striped', 'large', 2, 'sky', 'photo')
    images = [np.asarray(render_scene(scene, np.random.default_rng(s), 48))
              for s in (7, 7, 8)]
    assert images[0].shape == (48, 48, 3) and images[0].dtype == np.uint8
    assert np.array_equal(images[0], images[1])
    assert not np.array_equal(images[0], images[2])


def test_captions_name_colour_and_shape_in_plain_english():
    rng = np.random.default_rng(0)
    for count in (1, 2, 3):
        scene = Scene('cross', 'blue', count=count)
        for _ in range(20):
            text = caption(scene, rng)
            assert 'blue' in text and ('cross' in text if count == 1 else 'crosses' in text)
            assert 'there is two' not in text and 'there is three' not in text


def test_novel_classes_are_unseen_pairs_of_known_attributes():
    classes = SUITE['world_objects'].classes
    assert len(classes) >= 40
    half = len(classes) // 2
    base, novel = classes[:half], classes[half:]
    assert not {c.words for c in base} & {c.words for c in novel}
    for i in (0, 1):  # every colour and every shape is in both halves
        assert {c.words[i] for c in base} == {c.words[i] for c in novel}


def test_suite_datasets_in_coop_layout(tmp_path):
    root = prepare_world_dataset(str(tmp_path / 'world_counts'), 'world_counts')
    spec = SUITE['world_counts']
    with open(osp.join(root, split_file_name(spec))) as f:
        split = json.load(f)
    for key, count in spec.counts.items():
        assert len(split[key]) == count * len(spec.classes)
    with open(osp.join(root, DESCRIPTION_FILE)) as f:
        descriptions = json.load(f)
    assert set(descriptions) == {c.name for c in spec.classes}
    # deterministic: a second generation elsewhere writes the same files
    again = prepare_world_dataset(str(tmp_path / 'again'), 'world_counts')
    first_image = split['test'][0][0]
    with open(osp.join(root, 'images', first_image), 'rb') as a, \
            open(osp.join(again, 'images', first_image), 'rb') as b:
        assert a.read() == b.read()
    dataset = WorldDataset(dataset='world_counts', data_root=root, split='train', num_shots=4,
                           pipeline=[])
    assert len(dataset) == 4 * len(spec.classes)
    assert dataset.metainfo['description_file'] == osp.join(root, DESCRIPTION_FILE)


def test_mistyped_data_root_is_not_filled_with_a_new_dataset(tmp_path):
    with pytest.raises(ConfigError, match='make_suite.py'):
        WorldDataset(dataset='world_counts', data_root=str(tmp_path / 'typo'), split='test',
                     pipeline=[])
    assert not osp.exists(tmp_path / 'typo')
    with pytest.raises(ConfigError, match='Unknown world dataset'):
        WorldDataset(dataset='world_shapes', split='test', pipeline=[])


def test_shipped_weights_load_through_the_local_checkpoint_path():
    cfg = Config.fromfile(WORLD_CLIP)
    path = cfg.world_clip_weights
    assert osp.getsize(path) <= 15 * 10**6
    with open(path + '.sha256') as f:
        recorded = f.read().split()[0]
    with open(path, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == recorded
    with open(osp.join(REPO, 'docs', 'world_clip.md')) as f:
        assert recorded in f.read()
    arch = cfg.world_clip_arch.to_dict()
    arch.pop('_delete_')
    model, tokenizer = build_open_clip(arch, path)
    # the real CLIP tokenizer: plain English words, not unknown pieces
    tokens = tokenizer(['a photo of a red star.'])
    assert tokens.shape == (1, arch['text_cfg']['context_length'])
    state = torch.load(path, weights_only=True)
    for name, tensor in model.state_dict().items():
        if name in state:
            assert torch.equal(tensor, state[name].float()), name
