"""MMPretrain's get_model / inferencers / inference_model on our configs and
checkpoints, new class names at inference time, demo/image_demo.py."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from PIL import Image

from mmpretrain import ImageClassificationInferencer, get_model
from mmpretrain.apis import inference_model, list_models
from mmpretrain.registry import MODELS
from model_zoo_helpers import (CLASSES, load_tool, tiny_model_cfg,
                               write_descriptions, write_tiny_setup)
from projects.hicropl.apis import (MODEL_INDEX, OpenVocabularyInferencer,
                                   register_model_index)
from projects.hicropl.testing import score_tolerance

NEW = ['zebra', 'snow_leopard', 'tram']


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    return write_tiny_setup(tmp_path_factory.mktemp('tiny'))


@pytest.fixture(scope='module')
def tol():
    """Scores computed along other paths (batches, class-text encodings)
    differ by fp32 rounding only: projects.hicropl.testing.tolerance."""
    return score_tolerance(MODELS.build(tiny_model_cfg()).backbone)


def scores(results):
    return np.stack([r['pred_scores'] for r in results])


def reference_scores(setup, classnames, class_text):
    """The checkpoint's prompts on ``classnames``, built by hand."""
    cfg = dict(tiny_model_cfg(), class_text=class_text,
               classnames=classnames)
    model = MODELS.build(cfg)
    load_checkpoint(model, setup['checkpoint'])
    model._config = Config.fromfile(setup['config'])  # the test pipeline
    inferencer = ImageClassificationInferencer(model, classes=classnames)
    return scores(inferencer(setup['images']))


def test_get_model_takes_the_classes_of_the_checkpoint(setup):
    model = get_model(setup['config'], pretrained=setup['checkpoint'])
    assert model.classnames == CLASSES
    assert model._dataset_meta['classes'] == tuple(CLASSES)
    explicit = get_model(setup['config'], pretrained=setup['checkpoint'],
                         classnames=CLASSES[:2])
    assert explicit.classnames == CLASSES[:2]  # explicit classes are kept


def test_mmpretrain_inferencer_and_ours_agree(setup, tol):
    ours = OpenVocabularyInferencer(setup['config'], setup['checkpoint'])
    theirs = ImageClassificationInferencer(setup['config'],
                                           setup['checkpoint'])
    assert ours.classes == list(theirs.classes) == CLASSES
    a, b = ours(setup['images']), theirs(setup['images'])
    np.testing.assert_allclose(scores(a), scores(b), rtol=0, atol=tol)
    assert [r['pred_class'] for r in a] == [r['pred_class'] for r in b]
    assert all(r['pred_class'] in CLASSES for r in a)
    class_text = dict(type='DescriptionTextEmbeddings',
                      descriptions=setup['descriptions'])
    np.testing.assert_allclose(
        scores(a), reference_scores(setup, CLASSES, class_text),
        rtol=0, atol=tol)


def test_inference_model_by_model_name(setup, tmp_path):
    index = tmp_path / 'model-index.yml'
    index.write_text(
        'Models:\n'
        '  - Name: hicropl-tiny-test\n'
        f'    Config: {setup["config"]}\n'
        '    Results:\n'
        '      - Task: Image Classification\n'
        '        Dataset: Demo\n'
        '        Metrics: {}\n')
    assert register_model_index(str(index))
    assert not register_model_index(str(index))  # idempotent
    result = inference_model('hicropl-tiny-test', setup['images'][0],
                             pretrained=setup['checkpoint'])
    assert result['pred_class'] in CLASSES
    # The repository's own index is registered by importing the plugin.
    assert 'hicropl_demo' in list_models('hicropl*')
    assert MODEL_INDEX.endswith('model-index.yml')


def test_new_class_names_with_templates(setup, tol):
    templates = ['a photo of a {}.', 'a drawing of a {}.']
    inferencer = OpenVocabularyInferencer(
        setup['config'], setup['checkpoint'], classnames=NEW,
        templates=templates)
    assert inferencer.classes == NEW
    results = inferencer(setup['images'])
    assert all(r['pred_class'] in NEW for r in results)
    assert scores(results).shape == (3, len(NEW))
    expected = reference_scores(
        setup, NEW, dict(type='TemplateTextEmbeddings', templates=templates))
    np.testing.assert_allclose(scores(results), expected, rtol=0, atol=tol)


def test_new_class_names_fall_back_to_templates(setup, tmp_path, tol):
    """Descriptions for some new classes only: the others use the template
    (with a warning), here and with the config's description file."""
    partial = write_descriptions(tmp_path / 'new.json', NEW[:1])
    inferencer = OpenVocabularyInferencer(
        setup['config'], setup['checkpoint'], classnames=','.join(NEW),
        descriptions=partial)
    expected = reference_scores(
        setup, NEW, dict(type='DescriptionTextEmbeddings',
                         descriptions=partial, on_missing='template'))
    np.testing.assert_allclose(
        scores(inferencer(setup['images'])), expected, rtol=0, atol=tol)
    # No descriptions given: the config's file (no entry for NEW) + template.
    names = tmp_path / 'classes.txt'
    names.write_text('\n'.join(['cat'] + NEW) + '\n')
    inferencer = OpenVocabularyInferencer(
        setup['config'], setup['checkpoint'], classnames=str(names))
    assert inferencer.classes == ['cat'] + NEW
    expected = reference_scores(
        setup, ['cat'] + NEW,
        dict(type='DescriptionTextEmbeddings',
             descriptions=setup['descriptions'], on_missing='template'))
    np.testing.assert_allclose(
        scores(inferencer(setup['images'])), expected, rtol=0, atol=tol)


def test_set_classes_on_a_built_model(setup, tol):
    inferencer = OpenVocabularyInferencer(setup['config'], setup['checkpoint'])
    before = scores(inferencer(setup['images']))
    inferencer.set_classes(NEW, templates='a photo of a {}.')
    assert inferencer.classes == NEW
    assert inferencer(setup['images'])[0]['pred_class'] in NEW
    inferencer.set_classes(CLASSES, descriptions=setup['descriptions'])
    np.testing.assert_allclose(scores(inferencer(setup['images'])), before,
                               rtol=0, atol=tol)
    model = inferencer.model  # a built model works as the `model` argument
    wrapped = OpenVocabularyInferencer(model, classnames=NEW[:2],
                                       templates='a photo of a {}.')
    assert wrapped.classes == NEW[:2]


def test_image_demo_script(setup, tmp_path, capsys):
    demo = load_tool('demo/image_demo.py')
    out = str(tmp_path / 'pred.png')
    tables = demo.main([
        setup['config'], setup['checkpoint'], *setup['images'][:2],
        '--classnames', ','.join(NEW), '--templates', 'a photo of a {}.',
        '--topk', '2', '--out-png', out
    ])
    printed = capsys.readouterr().out
    assert len(tables) == 2 and all(len(rows) == 2 for rows in tables)
    for rows in tables:
        assert rows[0][1] >= rows[1][1] and all(c in NEW for c, _ in rows)
        assert f'{rows[0][1] * 100:6.2f}%' in printed
    for image in ('image_0', 'image_1'):
        png = Image.open(str(tmp_path / f'pred_{image}.png'))
        assert png.format == 'PNG' and png.height == 256
    single = str(tmp_path / 'single.png')
    demo.main([setup['config'], setup['checkpoint'], setup['images'][2],
               '--out-png', single])
    assert Image.open(single).size[1] == 256
    assert 'red_fox' in capsys.readouterr().out  # the checkpoint's classes


def test_descriptions_json_is_read_for_new_classes(setup, tmp_path):
    """The description sentences of a new class reach its text feature."""
    path = tmp_path / 'd.json'
    path.write_text(json.dumps({'zebra': ['a striped horse.']}))
    inferencer = OpenVocabularyInferencer(
        setup['config'], setup['checkpoint'], classnames=['zebra'],
        descriptions=str(path))
    model = inferencer.model
    backbone = model.backbone
    with torch.no_grad():
        expected = torch.nn.functional.normalize(
            backbone.encode_text(backbone.tokenize(['a striped horse.'])),
            dim=-1)
    torch.testing.assert_close(model.frozen_text_features, expected)
