"""The on-disk text-embedding cache is keyed by everything that determines
it: another backbone or class list never reuses an entry; corrupt or
malicious files are rebuilt, never trusted or executed. (Changed
descriptions and plain corruption: tests/test_models/
test_class_text_embeddings.py.)"""
import json
import os

import pytest
import torch

from mmpretrain.registry import MODELS
from projects.hicropl.testing import clip_steps, rounding_tolerance, tiny_clip_arch

DESCRIPTIONS = {
    'red fox': ['a small wild canine.', 'a fox in the snow.'],
    'snowy owl': ['a large white owl.'],
    'grey wolf': ['a wild dog of the north.'],
}


def clip(**arch):
    """Random weights (PromptedCLIP draws them with a fixed seed)."""
    return MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(**arch), pretrained=None))


def save_other_weights(path, seed):
    """A checkpoint of the tiny architecture with other weights."""
    gen = torch.Generator().manual_seed(seed)
    state = {k: v + 0.05 * torch.randn(v.shape, generator=gen) if v.is_floating_point() else v
             for k, v in clip().clip.state_dict().items()}
    torch.save(state, path)


@pytest.fixture
def embed_cfg(tmp_path):
    path = tmp_path / 'descriptions.json'
    path.write_text(json.dumps(DESCRIPTIONS))
    return dict(type='DescriptionTextEmbeddings', descriptions=str(path),
                cache_dir=str(tmp_path / 'cache'))


def entries(cfg):
    return sorted(os.listdir(cfg['cache_dir']))


def test_other_class_list_never_reuses_an_entry(embed_cfg):
    backbone = clip()
    pair = MODELS.build(embed_cfg)(backbone, ['red_fox', 'snowy owl'])
    swapped = MODELS.build(embed_cfg)(backbone, ['snowy owl', 'red_fox'])
    three = MODELS.build(embed_cfg)(backbone, ['red_fox', 'snowy owl', 'grey wolf'])
    assert len(entries(embed_cfg)) == 3
    # each entry holds its own classes' rows, in its own order; encoded in
    # other batches (other kernels), they differ from each other by rounding
    # only, and the two classes by far more than that
    tol = rounding_tolerance(pair, clip_steps(backbone, 'text'))
    assert (pair[0] - pair[1]).abs().max() > 100 * tol
    torch.testing.assert_close(swapped, pair.flip(0), rtol=0, atol=tol)
    assert three.shape == (3, 32)
    torch.testing.assert_close(three[:2], pair, rtol=0, atol=tol)


def test_other_backbone_never_reuses_an_entry(embed_cfg, tmp_path):
    first = MODELS.build(embed_cfg)(clip(), ['red_fox'])
    other_arch = MODELS.build(embed_cfg)(clip(embed_dim=24), ['red_fox'])
    assert other_arch.shape == (1, 24)
    # the same architecture with other weights (a local checkpoint file)
    weights = tmp_path / 'other_weights.pt'
    save_other_weights(weights, seed=1)
    loaded = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(weights)))
    other_weights = MODELS.build(embed_cfg)(loaded, ['red_fox'])
    assert not torch.allclose(other_weights, first)
    assert torch.equal(other_weights, MODELS.build(embed_cfg.copy())(
        MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(weights))),
        ['red_fox']))
    assert len(entries(embed_cfg)) == 3


@pytest.mark.parametrize('change', ['file_replaced', 'quick_gelu'])
def test_same_name_other_weights_never_reuses_an_entry(embed_cfg, tmp_path, change):
    weights = tmp_path / 'weights.pt'
    if change == 'file_replaced':
        build = lambda: MODELS.build(  # noqa: E731
            dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(weights)))
        save_other_weights(weights, seed=1)
        first_clip = build()
        save_other_weights(weights, seed=2)
        second_clip = build()
    else:
        first_clip = clip()  # the tiny arch uses QuickGELU
        second_clip = MODELS.build(dict(
            type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None, quick_gelu=False))
    first = MODELS.build(embed_cfg)(first_clip, ['red_fox'])
    expected = MODELS.build(dict(embed_cfg, cache_dir=None))(second_clip, ['red_fox'])
    assert not torch.allclose(first, expected)
    torch.testing.assert_close(MODELS.build(embed_cfg)(second_clip, ['red_fox']), expected)


class Payload:

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_cache_file_is_rebuilt_not_executed(embed_cfg, tmp_path):
    backbone = clip()
    good = MODELS.build(embed_cfg)(backbone, ['red_fox'])
    (name, ) = entries(embed_cfg)
    path = os.path.join(embed_cfg['cache_dir'], name)
    marker = tmp_path / 'pwned'
    torch.save({'key': 'whatever', 'features': Payload(marker)}, path)
    rebuilt = MODELS.build(embed_cfg)(backbone, ['red_fox'])
    assert not marker.exists()
    torch.testing.assert_close(rebuilt, good)
    record = torch.load(path, weights_only=True)  # replaced by a clean entry
    assert isinstance(record['features'], torch.Tensor)
