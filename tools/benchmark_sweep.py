#!/usr/bin/env python
"""Run ``tools/benchmark.py`` over several settings and write the Markdown
tables of docs/benchmark.md and the README.

Each setting runs in its own process (peak RSS is per process), one after
the other. The authors' figures are those measured with their code on the
same machine class (``../shared/reference/README.md``, section 8: ViT-B/16
shapes, fp32, 2 CPU threads, random weights).

Example (the command behind the README's table)::

    python tools/benchmark_sweep.py configs/hicropl/base2novel/oxford_pets.py \\
        --threads 2 --out work_dirs/benchmark
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)
BENCHMARK = osp.join(REPO_ROOT, 'tools', 'benchmark.py')

# (batch, classes) -> the authors' training step s, evaluation batch s,
# peak RSS MiB (reference README, section 8).
AUTHORS = {
    (8, 50): (7.4, 3.6, 4776),
    (8, 500): (78.0, 20.0, 16673),
}
DEFAULT_SETTINGS = ['8x50', '8x100', '8x200', '8x500', '32x50']


def parse_setting(text: str) -> Tuple[int, int, int]:
    """``BxC`` or ``BxCxW`` (batch per rank, classes, world size)."""
    parts = [int(p) for p in text.lower().split('x')]
    if len(parts) == 2:
        parts.append(1)
    if len(parts) != 3 or min(parts) < 1:
        raise argparse.ArgumentTypeError(
            f'{text!r}: expected BxC or BxCxW with positive integers, '
            'e.g. 8x50 or 8x100x2.')
    return tuple(parts)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('--settings', nargs='+', type=parse_setting,
                        default=[parse_setting(s) for s in DEFAULT_SETTINGS],
                        help='BxC[xW] settings (default: %(default)s)')
    parser.add_argument('--world-size-settings', nargs='*',
                        type=parse_setting,
                        default=[parse_setting('8x100x1'),
                                 parse_setting('8x100x2')],
                        help='settings of the text-tokens-per-rank table '
                        '(BxCxW; W processes share --threads)')
    parser.add_argument('--threads', type=int, default=2,
                        help='CPU threads in all (divided among W ranks)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--no-baseline', action='store_true',
                        help='skip the same-math plain open_clip baseline')
    parser.add_argument('--out', default='work_dirs/benchmark',
                        help='folder for results.jsonl and results.md')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def run_one(args, batch: int, classes: int, world: int,
            flops: bool = True, baseline: bool = False) -> Dict:
    cmd = [
        sys.executable, BENCHMARK, args.config, '--random-weights',
        '--batch-size', str(batch), '--num-classes', str(classes),
        '--device', args.device, '--threads',
        str(max(1, args.threads // world)), '--repeats', str(args.repeats),
        '--warmup', str(args.warmup), '--world-size', str(world)
    ]
    if not flops:
        cmd.append('--no-flops')
    if baseline:
        cmd.append('--baseline')
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f'benchmark failed ({batch}x{classes}x{world}):\n'
                           f'{proc.stderr[-3000:]}')
    print('\n'.join(proc.stdout.strip().splitlines()[:-1]), flush=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _speedup(theirs: Optional[float], ours: float) -> str:
    if theirs is None:
        return ''
    return f'**{theirs / ours:.1f}x**'


def speed_table(results: List[Dict]) -> str:
    """Ours vs the same math on plain open_clip blocks measured in the same
    process (``--baseline``) and vs the authors' published figures."""
    lines = [
        '| B | C | training step s (min-max) | same math, plain open_clip, '
        'here | speed-up | authors | speed-up | eval batch s (min-max) | '
        'cold | same math here | speed-up | authors | speed-up | '
        'peak RSS MiB (authors) | text tokens / step | train GFLOP/s '
        '(% of matmul peak) |',
        '|' + '---:|' * 2 + '---|' + '---:|' * 4 + '---|' + '---:|' * 5 +
        '---:|---:|---|',
    ]
    for r in results:
        key = (r['batch_size'], r['num_classes'])
        authors = AUTHORS.get(key, (None, None, None))
        base_train = r.get('baseline_train_step_s')
        base_eval = r.get('baseline_eval_batch_s')
        rate = r.get('train_step_flops_per_s')
        cells = [
            str(key[0]), str(key[1]),
            f"{r['train_step_s']:.2f} ({r['train_step_min_s']:.2f}-"
            f"{r['train_step_max_s']:.2f})",
            f'{base_train:.2f}' if base_train else '',
            _speedup(base_train, r['train_step_s']),
            f'{authors[0]:g}' if authors[0] else '',
            _speedup(authors[0], r['train_step_s']),
            f"{r['eval_batch_s']:.2f} ({r['eval_batch_min_s']:.2f}-"
            f"{r['eval_batch_max_s']:.2f})",
            f"{r['eval_batch_cold_s']:.2f}",
            f'{base_eval:.2f}' if base_eval else '',
            _speedup(base_eval, r['eval_batch_s']),
            f'{authors[1]:g}' if authors[1] else '',
            _speedup(authors[1], r['eval_batch_s']),
            f"{r['peak_rss_mb']:.0f}" +
            (f' ({authors[2]})' if authors[2] else ''),
            str(r['text_tokens_per_step']),
            (f"{rate / 1e9:.0f} "
             f"({100 * rate / r['matmul_peak_flops_per_s']:.0f}%)"
             if rate else ''),
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def world_table(results: List[Dict]) -> str:
    lines = [
        '| W | batch per rank | classes | text tokens per step (all classes) '
        '| text tokens per rank per step (measured) | training step s |',
        '|---:|---:|---:|---:|---:|---:|',
    ]
    for r in results:
        lines.append(
            f"| {r['world_size']} | {r['batch_size']} | {r['num_classes']} | "
            f"{r['text_tokens_per_step']} | {r['text_tokens_per_rank']} | "
            f"{r['train_step_s']:.2f} |")
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    speed, world = [], []
    with open(osp.join(args.out, 'results.jsonl'), 'w') as f:
        for batch, classes, ranks in args.settings:
            speed.append(
                run_one(args, batch, classes, ranks,
                        baseline=not args.no_baseline))
            f.write(json.dumps(speed[-1]) + '\n')
            f.flush()
        for batch, classes, ranks in args.world_size_settings:
            world.append(run_one(args, batch, classes, ranks, flops=False))
            f.write(json.dumps(world[-1]) + '\n')
            f.flush()
    first = (speed or world)[0]
    report = [
        f"`{first['arch']}` shapes, random weights, {first['precision']}, "
        f"{first['device']}, {args.threads} threads in all, "
        f"{args.warmup} warm-up + {args.repeats} timed runs (median, range).",
        '',
        speed_table(speed) if speed else '',
    ]
    if world:
        report += ['', world_table(world)]
    text = '\n'.join(report) + '\n'
    with open(osp.join(args.out, 'results.md'), 'w') as f:
        f.write(text)
    print(text)
    return text


if __name__ == '__main__':
    run_main(main)
