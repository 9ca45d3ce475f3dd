"""Frozen class text embeddings: descriptions, templates, caches, errors."""
import json

import pytest
import torch
import torch.nn.functional as F

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import tiny_clip_arch

torch.manual_seed(0)
CLIP = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None))
DESCRIPTIONS = {
    'red fox': ['a small wild canine.', 'a fox in the snow.'],
    'snowy owl': ['a large white owl.'],
}


@pytest.fixture
def desc_file(tmp_path):
    path = tmp_path / 'descriptions.json'
    path.write_text(json.dumps(DESCRIPTIONS))
    return str(path)


def test_mean_of_normalised_descriptions(desc_file):
    embed = MODELS.build(dict(type='DescriptionTextEmbeddings', descriptions=desc_file))
    out = embed(CLIP, ['red_fox', 'snowy owl'])
    with torch.no_grad():
        fox = F.normalize(CLIP.encode_text(CLIP.tokenize(DESCRIPTIONS['red fox'])), dim=-1)
        owl = F.normalize(CLIP.encode_text(CLIP.tokenize(DESCRIPTIONS['snowy owl'])), dim=-1)
    torch.testing.assert_close(out[0], F.normalize(fox.mean(0), dim=-1))
    torch.testing.assert_close(out[1], owl[0])


def test_template_ensemble():
    embed = MODELS.build(dict(type='TemplateTextEmbeddings', templates=['a {}.', 'the {}.']))
    out = embed(CLIP, ['sea_turtle'])
    with torch.no_grad():
        each = F.normalize(CLIP.encode_text(CLIP.tokenize(['a sea turtle.', 'the sea turtle.'])), dim=-1)
    torch.testing.assert_close(out[0], F.normalize(each.mean(0), dim=-1))
    with pytest.raises(ValueError, match='templates'):
        MODELS.build(dict(type='TemplateTextEmbeddings', templates=['no slot']))


def test_missing_class(desc_file):
    strict = MODELS.build(dict(type='DescriptionTextEmbeddings', descriptions=desc_file))
    with pytest.raises(ValueError, match="'hot air balloon'"):
        strict(CLIP, ['red_fox', 'hot_air_balloon'])
    lenient = MODELS.build(dict(type='DescriptionTextEmbeddings', descriptions=desc_file,
                                on_missing='template'))
    assert lenient.sentences(['hot_air_balloon']) == [['a photo of a hot air balloon.']]
    with pytest.raises(FileNotFoundError, match='description file not found'):
        MODELS.build(dict(type='DescriptionTextEmbeddings', descriptions='/nope.json'))(CLIP, ['a'])


def test_disk_cache_keyed_and_rebuilt(desc_file, tmp_path):
    cache = tmp_path / 'cache'
    cfg = dict(type='DescriptionTextEmbeddings', descriptions=desc_file, cache_dir=str(cache))
    first = MODELS.build(cfg)(CLIP, ['red_fox'])
    files = list(cache.iterdir())
    assert len(files) == 1
    # a fresh instance reads the disk cache
    assert torch.equal(MODELS.build(cfg)(CLIP, ['red_fox']), first)
    # changed descriptions -> new key, never the stale entry
    with open(desc_file, 'w') as f:
        json.dump({'red fox': ['something else entirely.']}, f)
    changed = MODELS.build(cfg)(CLIP, ['red_fox'])
    assert not torch.allclose(changed, first)
    assert len(list(cache.iterdir())) == 2
    # a corrupted cache file is rebuilt, not trusted
    for path in cache.iterdir():
        path.write_bytes(b'garbage')
    rebuilt = MODELS.build(cfg)(CLIP, ['red_fox'])
    torch.testing.assert_close(rebuilt, changed)


def test_template_ensemble_of_raw_features(tmp_path):
    """average='raw': the mean of the raw tower outputs, normalised once
    (PromptSRC's authors); its own disk-cache entry."""
    templates = ['a {}.', 'the {}.', 'a photo of the {}.']
    cfg = dict(type='TemplateTextEmbeddings', templates=templates, cache_dir=str(tmp_path))
    raw = MODELS.build(dict(cfg, average='raw'))(CLIP, ['sea_turtle'])
    normalized = MODELS.build(cfg)(CLIP, ['sea_turtle'])
    with torch.no_grad():
        each = CLIP.encode_text(CLIP.tokenize([t.format('sea turtle') for t in templates]))
    torch.testing.assert_close(raw[0], F.normalize(each.mean(0), dim=-1))
    torch.testing.assert_close(normalized[0], F.normalize(F.normalize(each, dim=-1).mean(0), dim=-1))
    assert not torch.allclose(raw, normalized)
    assert len(list(tmp_path.iterdir())) == 2
    with pytest.raises(ValueError, match='average'):
        MODELS.build(dict(cfg, average='median'))
