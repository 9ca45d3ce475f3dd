#!/usr/bin/env python
"""Run ``tools/benchmark.py`` on one config of every method and write the
README's per-method table.

Each config runs in its own process (peak RSS is per process), one after
the other, with the same setting. Without config arguments, every method
folder under ``configs/`` contributes one config: its base-to-novel Oxford
Pets config or, for a method without that protocol, its 16-shot Oxford
Pets config (``--protocol-configs`` changes the candidates).

Example (the command behind the README's table)::

    python tools/benchmark_methods.py --threads 2 --repeats 1 --warmup 1 \\
        --out work_dirs/benchmark_methods
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)

BENCHMARK = osp.join(REPO_ROOT, 'tools', 'benchmark.py')
DEFAULT_CANDIDATES = ['base2novel/oxford_pets.py', 'fewshot/oxford_pets_16shot.py']


def default_configs(candidates: List[str]) -> List[str]:
    """One config per method folder of ``configs/``: the first candidate
    that exists."""
    root = osp.join(REPO_ROOT, 'configs')
    configs = []
    for method in sorted(os.listdir(root)):
        if method.startswith('_') or not osp.isdir(osp.join(root, method)):
            continue
        for candidate in candidates:
            path = osp.join('configs', method, candidate)
            if osp.isfile(osp.join(REPO_ROOT, path)):
                configs.append(path)
                break
    return configs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*',
                        help='configs (default: one per method folder)')
    parser.add_argument('--protocol-configs', nargs='+',
                        default=DEFAULT_CANDIDATES,
                        help='candidate configs of a method folder, in order '
                        '(default: %(default)s)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--num-classes', type=int, default=50)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--flops', action='store_true',
                        help='also count FLOPs (slower)')
    parser.add_argument('--out', default='work_dirs/benchmark_methods',
                        help='folder for results.jsonl and results.md')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        help='passed on to every tools/benchmark.py run')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if not args.configs:
        args.configs = default_configs(args.protocol_configs)
    return args


def method_name(config: str) -> str:
    """The method folder of a config (``configs/<method>/...``)."""
    parts = osp.normpath(config).split(os.sep)
    if 'configs' in parts and parts.index('configs') + 2 < len(parts):
        return parts[parts.index('configs') + 1]
    return osp.splitext(osp.basename(config))[0]


def run_one(args, config: str) -> Dict:
    cmd = [
        sys.executable, BENCHMARK, config, '--random-weights',
        '--batch-size', str(args.batch_size), '--num-classes',
        str(args.num_classes), '--device', args.device, '--threads',
        str(args.threads), '--repeats', str(args.repeats), '--warmup',
        str(args.warmup)
    ]
    if not args.flops:
        cmd.append('--no-flops')
    if args.cfg_options:
        cmd += ['--cfg-options', *args.cfg_options]
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f'benchmark failed ({config}):\n'
                           f'{proc.stderr[-3000:]}')
    print('\n'.join(proc.stdout.strip().splitlines()[:-1]), flush=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def methods_table(results: List[Dict]) -> str:
    """method | train step s | eval batch s | peak RSS MiB | trainable params.

    A model without a training step shows '-' (a fitted model: the time of
    its fit on the batch's features in parentheses)."""
    lines = [
        '| method | config | train step s | eval batch s | peak RSS MiB '
        '| trainable params |',
        '|---|---|---:|---:|---:|---:|',
    ]
    for r in results:
        if 'train_step_s' in r:
            train = f"{r['train_step_s']:.2f}"
        elif 'fit_s' in r:
            train = f"- (fit {r['fit_s']:.2f})"
        else:
            train = '-'
        lines.append(
            f"| {method_name(r['config'])} | `{r['config']}` | {train} | "
            f"{r['eval_batch_s']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['trainable_params']:,} |")
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    results = []
    with open(osp.join(args.out, 'results.jsonl'), 'w') as f:
        for config in args.configs:
            results.append(run_one(args, config))
            f.write(json.dumps(results[-1]) + '\n')
            f.flush()
    first = results[0]
    text = '\n'.join([
        f"`{first['arch']}` shapes, random weights, {first['precision']}, "
        f"{first['device']}, {args.threads} threads, batch "
        f"{args.batch_size}, {args.num_classes} classes, {args.warmup} "
        f"warm-up + {args.repeats} timed runs (median), one run.",
        '',
        methods_table(results),
    ]) + '\n'
    with open(osp.join(args.out, 'results.md'), 'w') as f:
        f.write(text)
    print(text)
    return text


if __name__ == '__main__':
    run_main(main)
