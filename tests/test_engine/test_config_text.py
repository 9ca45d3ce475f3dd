"""FormattedOnceConfig: MMEngine's config text, formatted once per content."""
import copy

import mmengine.config.config as mmengine_config
import pytest
from mmengine.config import Config

from projects.hicropl.engine.config_text import FormattedOnceConfig


@pytest.fixture
def yapf_calls(monkeypatch):
    calls = []
    format_code = mmengine_config.FormatCode

    def counting(*args, **kwargs):
        calls.append(1)
        return format_code(*args, **kwargs)

    monkeypatch.setattr(mmengine_config, 'FormatCode', counting)
    return calls


def _config():
    return Config(dict(model=dict(type='M', depth=9), lr=0.002,
                       pipeline=[dict(type='Resize', scale=224)]))


def test_text_is_mmengine_text_and_formatted_once(yapf_calls):
    cfg = FormattedOnceConfig.from_config(_config())
    expected = _config().pretty_text
    yapf_calls.clear()
    assert cfg.pretty_text == expected
    assert cfg.pretty_text == expected
    assert len(yapf_calls) == 1


@pytest.mark.parametrize('change', [
    lambda cfg: setattr(cfg, 'lr', 0.5),
    lambda cfg: setattr(cfg.model, 'depth', 3),
    lambda cfg: cfg.pipeline[0].update(scale=96),
    lambda cfg: cfg.merge_from_dict({'model.depth': 12}),
])
def test_every_change_formats_again(change):
    cfg = FormattedOnceConfig.from_config(_config())
    before = cfg.pretty_text
    change(cfg)
    plain = Config(cfg.to_dict())
    assert cfg.pretty_text != before
    assert cfg.pretty_text == plain.pretty_text


def test_copies_keep_the_class_and_their_own_text():
    cfg = FormattedOnceConfig.from_config(_config())
    cfg.pretty_text
    other = copy.deepcopy(cfg)
    assert isinstance(other, FormattedOnceConfig)
    other.model.depth = 1
    assert 'depth=1' in other.pretty_text
    assert 'depth=9' in cfg.pretty_text
