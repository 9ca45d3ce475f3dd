"""tools/benchmark.py end to end on the demo config (tiny CLIP), its config
handling, and the measurement helpers (no timed assertions)."""
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from projects.hicropl.utils import (TimingStats, count_flops, matmul_flops_per_second,
                                    peak_device_memory_mb, peak_rss_mb, time_call)

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / 'tools' / 'benchmark.py'
DEMO = 'configs/hicropl/hicropl_demo.py'
B2N = 'configs/hicropl/base2novel/oxford_pets.py'
REQUIRED = ('train_step_s', 'eval_batch_s', 'peak_rss_mb', 'text_tokens_per_step')


def load_tool():
    spec = importlib.util.spec_from_file_location('hicropl_benchmark_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmark = load_tool()


def test_cli_prints_table_then_json(tmp_path):
    """The documented command runs from another directory; the last stdout
    line is one JSON object with the required keys and consistent values."""
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(REPO_ROOT / DEMO), '--random-weights',
         '--batch-size', '2', '--num-classes', '3', '--device', 'cpu', '--threads', '1',
         '--repeats', '2', '--warmup', '1'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    for key in REQUIRED:
        assert result[key] > 0, key
    table = '\n'.join(lines[:-1])
    assert 'training step' in table and 'eval batch (steady)' in table
    assert 'TemplateTextEmbeddings' in table  # the demo's descriptions are not generated here
    for name in ('train_step', 'eval_batch', 'eval_batch_cold'):
        assert result[f'{name}_min_s'] <= result[f'{name}_s'] <= result[f'{name}_max_s']
        assert result[f'{name}_flops'] > 0
        assert result[f'{name}_flops_per_s'] == pytest.approx(
            result[f'{name}_flops'] / result[f'{name}_s'])
    # the steady batch reuses the class text features: fewer FLOPs than cold
    assert result['eval_batch_flops'] < result['eval_batch_cold_flops']
    # training = forward + backward (> 2x the steady eval batch's matmuls)
    assert result['train_step_flops'] > 2 * result['eval_batch_flops']
    # demo: 64x64 images, patch 16 -> 16 patches + class token; n_ctx 4
    assert result['image_tokens_prompted'] == 2 * (16 + 1 + 4)
    assert result['image_tokens_frozen'] == 2 * (16 + 1)
    assert result['text_tokens_per_step'] == 3 * result['text_length']
    # measured: one process encodes every class prompt once per step
    assert result['text_tokens_per_rank'] == result['text_tokens_per_step']
    # 'X X X X synthetic class N.': SOS, 4 X, 3 words, '.', EOT
    assert result['text_length'] == 10
    assert (result['threads'], result['world_size'], result['batch_size']) == (1, 1, 2)
    assert result['matmul_peak_flops_per_s'] > 0
    assert result['train_images_per_s'] == pytest.approx(2 / result['train_step_s'])


@pytest.mark.distributed
def test_two_ranks_each_encode_half_the_classes(tmp_path):
    """--world-size 2 (gloo, DDP, sharded class text encoding): the text
    tokens each rank really encodes per step are 1/W of the single-process
    count: ceil(5 / 2) = 3 rows each (the last shard is padded to the same
    size for the all-gather) instead of 5; the global batch is W x B."""
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(REPO_ROOT / DEMO), '--random-weights',
         '--batch-size', '2', '--num-classes', '5', '--device', 'cpu', '--threads', '1',
         '--repeats', '1', '--warmup', '0', '--no-flops', '--world-size', '2'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    length = result['text_length']
    assert result['world_size'] == 2
    assert result['text_tokens_per_step'] == 5 * length
    assert result['text_tokens_per_rank_all'] == [3 * length, 3 * length]
    assert result['text_tokens_per_rank'] == 3 * length
    assert result['train_images_per_s'] == pytest.approx(4 / result['train_step_s'])
    assert 'per rank x 2 ranks' in proc.stdout


def test_in_process_bf16_autocast_without_flops():
    result = benchmark.main([
        str(REPO_ROOT / DEMO), '--random-weights', '--batch-size', '2', '--num-classes', '2',
        '--precision', 'bf16', '--repeats', '1', '--warmup', '0', '--no-flops'
    ])
    assert result['precision'] == 'bf16' and 'train_step_flops' not in result
    assert result['eval_batch_s'] > 0


def test_config_overrides_for_random_weights(tmp_path):
    args = benchmark.parse_args([str(REPO_ROOT / B2N), '--random-weights'])
    cfg, notes = benchmark.load_config(args)
    backbone = cfg.model.backbone
    # OpenAI weights would select QuickGELU: random weights keep that architecture
    assert backbone.pretrained is None and backbone.quick_gelu is True
    assert cfg.model.class_text.type == 'TemplateTextEmbeddings'
    assert any('oxford_pets_prompt.json' in note for note in notes)

    descriptions = tmp_path / 'descriptions.json'
    descriptions.write_text(json.dumps({'cat': ['a cat.']}))
    args = benchmark.parse_args([
        str(REPO_ROOT / B2N), '--cfg-options',
        f'model.class_text.descriptions={descriptions}'
    ])
    cfg, notes = benchmark.load_config(args)
    assert cfg.model.backbone.pretrained == 'openai'
    assert cfg.model.class_text.type == 'DescriptionTextEmbeddings'
    assert cfg.model.class_text.on_missing == 'template'


@pytest.mark.parametrize('argv', [['--repeats', '0'], ['--batch-size', '0'],
                                  ['--warmup', '-1'], ['--precision', 'fp8']])
def test_invalid_arguments(argv):
    with pytest.raises(SystemExit):
        benchmark.parse_args([DEMO, *argv])


# ------------------------------------------------------------ helpers
def test_count_flops_matmul_and_attention():
    a, w = torch.randn(5, 7), torch.randn(11, 7)
    assert count_flops(lambda: F.linear(a, w)) == 2 * 5 * 7 * 11
    x = torch.randn(5, 7, requires_grad=True)
    # backward: gradient of the input only (w is frozen)
    assert count_flops(lambda: F.linear(x, w).sum().backward()) == 2 * (2 * 5 * 7 * 11)
    q, k = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8)
    # QK^T and AV: 2 products of 2 * B * H * Lq * Lk * d FLOPs each
    assert count_flops(lambda: F.scaled_dot_product_attention(q, k, k)) == 2 * 2 * (
        2 * 3 * 4 * 6 * 8)


def test_timing_helpers():
    stats = TimingStats.from_times([3.0, 1.0, 2.0, 10.0])
    assert (stats.median, stats.min, stats.max, stats.count) == (2.5, 1.0, 10.0, 4)
    with pytest.raises(ValueError, match='at least one'):
        TimingStats.from_times([])
    assert time_call(lambda: sum(range(1000)), 'cpu') > 0
    assert peak_rss_mb() > 10
    assert peak_device_memory_mb('cpu') == 0.0
    rate = matmul_flops_per_second('cpu', size=128, repeats=2)
    assert math.isfinite(rate) and rate > 1e6


@pytest.mark.distributed
def test_sweep_writes_the_tables(tmp_path):
    """tools/benchmark_sweep.py: one process per setting, JSON lines and the
    Markdown tables (speed, and text tokens per rank for W = 1, 2)."""
    spec = importlib.util.spec_from_file_location(
        'hicropl_benchmark_sweep', REPO_ROOT / 'tools' / 'benchmark_sweep.py')
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    text = sweep.main([
        str(REPO_ROOT / DEMO), '--settings', '2x3', '--world-size-settings', '2x4x1',
        '2x4x2', '--threads', '2', '--repeats', '1', '--warmup', '0', '--out',
        str(tmp_path)
    ])
    rows = [json.loads(line) for line in (tmp_path / 'results.jsonl').read_text().splitlines()]
    assert [(r['batch_size'], r['num_classes'], r['world_size']) for r in rows] == [
        (2, 3, 1), (2, 4, 1), (2, 4, 2)]
    assert (tmp_path / 'results.md').read_text() == text
    length = rows[1]['text_length']
    assert rows[1]['text_tokens_per_rank'] == 4 * length
    assert rows[2]['text_tokens_per_rank'] == 2 * length  # half per rank
    assert f"| 2 | 2 | 4 | {4 * length} | {2 * length} |" in text
    assert f"| 2 | 3 | {rows[0]['train_step_s']:.2f} (" in text
    # the same math on plain open_clip blocks, timed in the same process
    assert rows[0]['baseline_train_step_s'] > 0 and rows[0]['baseline_eval_batch_s'] > 0
    assert rows[0]['baseline_train_step_flops'] > rows[0]['train_step_flops']
    assert f"{rows[0]['baseline_train_step_s']:.2f}" in text
    with pytest.raises(SystemExit):
        sweep.parse_args([DEMO, '--settings', '8by50'])


def test_fused_multihead_attention_is_counted():
    """nn.MultiheadAttention's no-grad fast path is one fused kernel that
    FlopCounterMode does not know: counted like the unfused path."""
    attention = torch.nn.MultiheadAttention(64, 4, batch_first=True).eval()
    x = torch.randn(2, 10, 64)
    unfused = count_flops(lambda: attention(x, x, x, need_weights=False))
    with torch.no_grad():
        fused = count_flops(lambda: attention(x, x, x, need_weights=False))
    # projections 4 x (2 * 20 * 64 * 64) + scores and weighted sum 2 x (2 * 2 * 10 * 10 * 64)
    assert fused == unfused == 4 * 2 * 20 * 64 * 64 + 2 * 2 * 2 * 10 * 10 * 64
