"""tools/world/pretrain_clip.py: the world CLIP's contrastive pretraining."""
import hashlib
import json
import os.path as osp
import sys

import numpy as np
import open_clip
import torch

from projects.hicropl.datasets.world import Scene
from projects.hicropl.datasets.world.vocabulary import COLOURS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'world'))

import pretrain_clip  # noqa: E402


def test_shape_caption_curriculum():
    """The first ``shape_caption_steps`` steps name the shape alone (no
    colour word), later steps the full captions (colour always named)."""
    scenes = [Scene('star', 'red'), Scene('cross', 'blue', count=3)]
    rng = np.random.default_rng(0)
    early = pretrain_clip.batch_captions(scenes, [0, 1], 2, 2, rng)
    assert early == ['a photo of a star.', 'a photo of crosses.']
    late = pretrain_clip.batch_captions(scenes, [0, 1], 3, 2, rng)
    assert 'red' in late[0] and 'blue' in late[1]
    assert pretrain_clip.batch_captions(scenes, [1], 1, 0, rng) != \
        ['a photo of crosses.']
    assert not any(c in ' '.join(early).split() for c in COLOURS)


def test_tiny_run_writes_loadable_weights_and_curve(tmp_path):
    out = str(tmp_path / 'clip.pt')
    pretrain_clip.main([
        '--out', out, '--images', '40', '--steps', '3', '--batch-size', '8',
        '--warmup', '1', '--probe-every', '2', '--shape-caption-steps', '2',
        '--colours-per-batch', '0'])
    with open(out, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(out + '.sha256') as f:
        assert f.read().split() == [digest, 'clip.pt']
    with open(str(tmp_path / 'clip_curve.json')) as f:
        curve = json.load(f)
    assert curve['args']['shape_caption_steps'] == 2
    assert [e['step'] for e in curve['curve']] == [1, 2, 3]
    assert 'probe_acc' in curve['curve'][1] and 'probe_acc' in curve['curve'][2]
    model = open_clip.model.CLIP(**curve['arch'])
    state = torch.load(out, map_location='cpu')
    assert all(v.dtype == torch.float16 for v in state.values())
    model.load_state_dict({k: v.float() for k, v in state.items()})
