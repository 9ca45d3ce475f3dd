"""tools/benchmark.py on every method: the config that
tools/benchmark_methods.py benchmarks for each method folder, with its
prompt settings as configured but on a tiny CLIP with as many layers as
ViT-B/16 (so every configured prompt depth fits); and the per-method
table of tools/benchmark_methods.py on the demo configs."""
import importlib.util
import json
from pathlib import Path

import pytest

from projects.hicropl.testing import tiny_clip_arch

REPO_ROOT = Path(__file__).resolve().parents[2]


def load(relative):
    spec = importlib.util.spec_from_file_location(
        'hicropl_' + Path(relative).stem, REPO_ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmark = load('tools/benchmark.py')
methods = load('tools/benchmark_methods.py')
METHOD_CONFIGS = methods.default_configs(methods.DEFAULT_CANDIDATES)
DEEP_TINY = tiny_clip_arch(
    vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=12,
                    head_width=32),
    text_cfg=dict(context_length=77, vocab_size=49408, width=48, heads=4,
                  layers=12))


def test_every_method_folder_has_a_benchmark_config():
    folders = sorted(p.name for p in (REPO_ROOT / 'configs').iterdir()
                     if p.is_dir() and not p.name.startswith('_'))
    assert [methods.method_name(c) for c in METHOD_CONFIGS] == folders


@pytest.mark.parametrize('config', METHOD_CONFIGS)
def test_method_config_runs_through_the_tool(config):
    args = benchmark.parse_args([
        str(REPO_ROOT / config), '--random-weights', '--batch-size', '2',
        '--num-classes', '3', '--threads', '1', '--repeats', '1',
        '--warmup', '0'
    ])
    args.cfg_options = {'model.backbone.arch': dict(DEEP_TINY, _delete_=True)}
    result = benchmark.run_benchmark(args)
    table = benchmark.format_table(result)
    assert result['eval_batch_s'] > 0 and result['eval_batch_cold_s'] > 0
    assert result['peak_rss_mb'] > 0
    assert result['eval_batch_flops'] > 0  # FLOPs counted for every method
    trainable = result['trainable_params']
    # what is timed is read from the model: a training step when it has
    # trainable parameters, its fit on features, or nothing (evaluation only)
    if trainable:
        assert result['training'] == 'train_step'
        assert result['train_step_s'] > 0 and result['train_step_flops'] > 0
        assert 'training step' in table and 'fit_s' not in result
        # a checkpoint holds exactly the trainable tensors
        assert result['saved_values'] == trainable
        assert result['text_tokens_per_rank'] == result['text_tokens_per_step']
    else:
        assert 'train_step_s' not in result and '\ntraining step ' not in table
        assert result['training'] in ('fit', 'none')
        if result['training'] == 'fit':
            assert result['fit_s'] > 0 and 'fit on batch features' in table
            assert result['saved_values'] > 0  # the fitted tensors
        else:
            assert 'fit_s' not in result and result['saved_values'] == 0
    # 32x32 images, patch 8: 16 patches + class token per image and tower
    assert result['image_tokens_per_step'] >= 2 * 17
    assert result['image_tokens_prompted'] + result['image_tokens_frozen'] == \
        result['image_tokens_per_step']
    json.dumps(result)  # the last stdout line


def test_methods_table(tmp_path):
    demos = ['configs/zsclip/zsclip_demo.py',
             'configs/linear_probe/linear_probe_demo.py',
             'configs/coop/coop_demo.py']
    text = methods.main([
        *demos, '--batch-size', '2', '--num-classes', '3', '--threads', '1',
        '--repeats', '1', '--warmup', '0', '--out', str(tmp_path)
    ])
    rows = [json.loads(line)
            for line in (tmp_path / 'results.jsonl').read_text().splitlines()]
    assert [r['config'] for r in rows] == demos
    assert (tmp_path / 'results.md').read_text() == text
    assert '| method | config | train step s | eval batch s | peak RSS MiB ' \
        '| trainable params |' in text
    zero_shot, probe, coop = rows
    assert f"| zsclip | `{demos[0]}` | - | {zero_shot['eval_batch_s']:.2f} |" \
        in text
    assert f"| linear_probe | `{demos[1]}` | - (fit {probe['fit_s']:.2f}) |" \
        in text
    assert f"| coop | `{demos[2]}` | {coop['train_step_s']:.2f} |" in text
    assert f"| {coop['trainable_params']:,} |" in text
