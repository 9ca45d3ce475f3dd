"""tools/world/probe_clip.py: what the world CLIP knows, per attribute."""
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'world'))

import probe_clip  # noqa: E402


def test_prompts_name_one_attribute_in_caption_words():
    assert probe_clip.prompt('count', 2, 'red', 'star') == \
        'a photo of two red stars.'
    assert probe_clip.prompt('pattern', 'plain', 'blue', 'circle') == \
        'a photo of a blue circle.'
    assert probe_clip.prompt('size', 'small', 'orange', 'heart') == \
        'a photo of a small orange heart.'
    assert probe_clip.prompt('background', 'sky', 'red', 'cross') == \
        'a red cross on a sky background.'
    assert probe_clip.prompt('style', 'sketch', 'red', 'cross') == \
        'a sketch of a red cross.'


def test_shipped_clip_knows_colours(capsys):
    rows = probe_clip.main(['--images', '160'])
    assert [r['attribute'] for r in rows] == list(probe_clip.ATTRIBUTES)
    for r in rows:
        assert 0 <= r['zero_shot'] <= 1 and 0 <= r['linear_probe'] <= 1
    colour = rows[0]
    # 90% on 4,000 scenes; 160 scenes put it within a few points of that
    assert colour['zero_shot'] > 0.6 and colour['linear_probe'] > 0.6
    assert 'colour' in capsys.readouterr().out


def test_missing_weights_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        probe_clip.run_main(probe_clip.main,
                            ['--weights', str(tmp_path / 'none.pt')])
    assert 'pretrain_clip.py --out' in capsys.readouterr().err
