#!/usr/bin/env python
"""Run methods x datasets x seeds (x shots) of one protocol, resumably.

Each run is a leaf config ``configs/<method>/<protocol>/<dataset>.py`` (few
shot: ``<dataset>_<K>shot.py``) executed by ``tools/run_protocol.py`` with
``--seed`` and the work dir ``<work-root>/<method>/<protocol>/<dataset>/
seed<seed>``: where ``run_protocol`` puts it by default and where
``tools/analysis/report.py`` finds its ``results.json``. A dataset that
another config of the method tests as one of its ``eval_targets`` (the
cross-dataset targets, the ImageNet variants of domain generalization) is
covered by a run of that source config. Configs without training
(zero-shot CLIP) are tested only.

Each run has a status:

* ``done``: ``results.json`` is complete (every expected evaluation, with
  metrics): skipped;
* ``resume``: the work dir holds a checkpoint but no complete results (an
  interrupted run): run again with ``--resume``;
* ``pending``: run from scratch.

``--ablations`` adds HiCroPL ablation runs (``configs/hicropl/ablations``,
see its README) on the same datasets: the ablation config with its
base-to-novel base replaced by the dataset's, written next to its work dirs
``<work-root>/hicropl/ablations/<name>/<dataset>/``.

Datasets are config stems or groups (``paper``) from
``projects/hicropl/evaluation/suites.py``.

Examples::

    # plan only: every run and its status
    python tools/sweep.py --methods hicropl coop --protocol base2novel \\
        --datasets paper --seeds 1 2 3 --dry-run
    # few-shot, K = 1..16, four runs at a time on four GPUs
    python tools/sweep.py --methods hicropl --protocol fewshot \\
        --datasets paper --shots 1 2 4 8 16 --seeds 1 2 3 --gpus 4
    # the paper's ablations on two datasets
    python tools/sweep.py --protocol base2novel --datasets dtd eurosat \\
        --seeds 1 2 3 --ablations all
"""
import argparse
import ast
import glob
import os
import os.path as osp
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

TOOLS_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(TOOLS_DIR)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.errors import ConfigError  # noqa: E402
from projects.hicropl.evaluation.ablations import (  # noqa: E402
    ABLATION_TABLES, ablation_names)
from projects.hicropl.evaluation.results import (RESULTS_FILE,  # noqa: E402
                                                 load_results)
from projects.hicropl.evaluation.suites import expand_datasets  # noqa: E402
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)

PROTOCOLS = ('base2novel', 'fewshot', 'cross_dataset',
             'domain_generalization')
ABLATION_METHOD = 'hicropl'
ABLATION_PROTOCOL = 'base2novel'


@dataclass
class Run:
    """One ``tools/run_protocol.py`` call.

    Attributes:
        method (str): Method folder under ``configs/``.
        dataset (str): Config stem the run was planned for (the source's
            stem when it covers targets).
        seed (int): ``--seed``.
        config (str): The config run.
        work_dir (str): Its work dir.
        evaluations (int): Evaluations a complete ``results.json`` holds
            (1 + the config's ``eval_targets``).
        shots (int, optional): K of a few-shot run.
        ablation (str, optional): Ablation name.
        config_text (str, optional): Text of a generated config (ablation
            on another dataset), written to ``config`` before running.
        covers (list[str]): The selected datasets this run tests.
    """
    method: str
    dataset: str
    seed: int
    config: str
    work_dir: str
    evaluations: int = 1
    shots: Optional[int] = None
    ablation: Optional[str] = None
    config_text: Optional[str] = None
    covers: List[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        parts = [self.ablation or self.method, self.dataset]
        if self.shots is not None:
            parts.append(f'{self.shots}shot')
        return '/'.join(parts) + f' seed{self.seed}'


# ---------------------------------------------------------------- planning
def _load_config(path: str):
    from mmengine.config import Config
    return Config.fromfile(path)


def eval_target_sources(method_dir: str) -> Dict[str, List[str]]:
    """``source config -> its eval_targets`` (absolute, normalised) of every
    config of a method folder that lists ``eval_targets``."""
    sources = {}
    for path in sorted(glob.glob(osp.join(method_dir, '*', '*.py'))):
        with open(path, encoding='utf-8') as f:
            if 'eval_targets' not in f.read():
                continue
        cfg = _load_config(path)
        folder = osp.dirname(osp.abspath(path))
        sources[osp.abspath(path)] = [
            osp.normpath(osp.join(folder, t))
            for t in (cfg.get('eval_targets', None) or [])
        ]
    return sources


def _leaf(configs_root: str, method: str, protocol: str, dataset: str,
          shots: Optional[int]) -> str:
    folder = osp.join(configs_root, method, protocol)
    stem = f'{dataset}_{shots}shot' if shots is not None else dataset
    path = osp.abspath(osp.join(folder, f'{stem}.py'))
    if not osp.isfile(path):
        found = sorted(
            osp.splitext(osp.basename(p))[0]
            for p in glob.glob(osp.join(folder, '*.py')))
        if not found:
            raise ConfigError(
                f'configs/{method}/{protocol}/ does not exist or is empty: '
                f'choose --methods among the folders of {configs_root} '
                f'that have a {protocol}/ folder.')
        raise ConfigError(
            f'No config {stem}.py in configs/{method}/{protocol}/; '
            f'available: {found}. Fix --datasets/--shots.')
    return path


def work_dir_of(config: str, seed: int, configs_root: str,
                work_root: str) -> str:
    """``<work_root>/<config path under configs_root, no .py>/seed<seed>``
    (run_protocol's default with ``work_root='work_dirs'``)."""
    rel = osp.splitext(osp.relpath(config, configs_root))[0]
    return osp.join(work_root, rel, f'seed{seed}')


def ablation_config_text(ablation_config: str, leaf: str) -> str:
    """The ablation config with its base-to-novel base replaced by
    ``leaf`` and its other bases made absolute."""
    with open(ablation_config, encoding='utf-8') as f:
        text = f.read()
    tree = ast.parse(text)
    node = next((n for n in tree.body if isinstance(n, ast.Assign) and any(
        getattr(t, 'id', None) == '_base_' for t in n.targets)), None)
    bases = ast.literal_eval(node.value) if node is not None else None
    if isinstance(bases, str):
        bases = [bases]
    folder = osp.dirname(osp.abspath(ablation_config))
    swapped = [b for b in bases or []
               if osp.basename(osp.dirname(b)) == ABLATION_PROTOCOL]
    if len(swapped) != 1:
        raise ConfigError(
            f'{ablation_config} must inherit exactly one '
            f'../{ABLATION_PROTOCOL}/<dataset>.py config (its _base_); '
            f'found {bases}.')
    new = [leaf if b in swapped else osp.normpath(osp.join(folder, b))
           for b in bases]
    lines = text.splitlines(keepends=True)
    start, stop = node.lineno - 1, node.end_lineno
    return ''.join(lines[:start] + [f'_base_ = {new!r}\n'] + lines[stop:])


def resolve_ablations(names: Sequence[str]) -> List[str]:
    """Ablation names; ``all`` or a table id (``table4``) expand."""
    out: List[str] = []
    for name in names:
        if name == 'all':
            chosen = ablation_names()
        elif name in ABLATION_TABLES:
            chosen = [c for _, c in ABLATION_TABLES[name][1] if c]
        elif name in ablation_names():
            chosen = [name]
        else:
            raise ConfigError(
                f'Unknown ablation {name!r}: use all, a table '
                f'({list(ABLATION_TABLES)}) or a config name of '
                f'configs/hicropl/ablations ({ablation_names()}).')
        out += [c for c in chosen if c not in out]
    return out


def plan(methods: Sequence[str], protocol: str, datasets: Sequence[str],
         seeds: Sequence[int], shots: Optional[Sequence[int]] = None,
         ablations: Sequence[str] = (), configs_root: Optional[str] = None,
         work_root: str = 'work_dirs') -> List[Run]:
    """Every run of the selection, in order (methods, datasets, shots,
    seeds; ablations last), each once."""
    configs_root = osp.abspath(configs_root or osp.join(REPO_ROOT, 'configs'))
    if protocol not in PROTOCOLS:
        raise ConfigError(f'--protocol must be one of {PROTOCOLS}.')
    if protocol == 'fewshot' and not shots:
        raise ConfigError('The fewshot protocol needs --shots (e.g. 1 2 4 8 '
                          '16).')
    stems = expand_datasets(list(datasets), protocol)
    k_values = list(shots) if protocol == 'fewshot' else [None]
    runs: List[Run] = []
    seen: Dict[tuple, Run] = {}

    def add(run: Run, covered: str) -> None:
        key = (run.config, run.seed)
        if key not in seen:
            seen[key] = run
            runs.append(run)
        if covered not in seen[key].covers:
            seen[key].covers.append(covered)

    for method in methods:
        sources = eval_target_sources(osp.join(configs_root, method))
        covering = {t: s for s, targets in sources.items() for t in targets}
        for stem in stems:
            for k in k_values:
                leaf = _leaf(configs_root, method, protocol, stem, k)
                config = covering.get(leaf, leaf)
                evaluations = 1 + len(sources.get(config, []))
                source_stem = osp.splitext(osp.basename(config))[0]
                for seed in seeds:
                    add(Run(method, source_stem if k is None else stem, seed,
                            config, work_dir_of(config, seed, configs_root,
                                                work_root), evaluations,
                            shots=k), stem)
    if ablations:
        if protocol != ABLATION_PROTOCOL:
            raise ConfigError(f'--ablations are {ABLATION_PROTOCOL} runs: '
                              f'use --protocol {ABLATION_PROTOCOL}.')
        folder = osp.join(configs_root, ABLATION_METHOD, 'ablations')
        for name in resolve_ablations(ablations):
            for stem in stems:
                leaf = _leaf(configs_root, ABLATION_METHOD, protocol, stem,
                             None)
                base = osp.join(work_root, ABLATION_METHOD, 'ablations',
                                name, stem)
                text = ablation_config_text(
                    osp.join(folder, f'{name}.py'), leaf)
                for seed in seeds:
                    add(Run(ABLATION_METHOD, stem, seed,
                            osp.join(base, f'{name}_{stem}.py'),
                            osp.join(base, f'seed{seed}'), ablation=name,
                            config_text=text), stem)
    return runs


def run_status(run: Run) -> str:
    """``'done'``, ``'resume'`` or ``'pending'`` (see the module doc)."""
    path = osp.join(run.work_dir, RESULTS_FILE)
    if osp.isfile(path):
        try:
            record = load_results(path)
        except ValueError:
            record = None
        if record and len(record['evaluations']) == run.evaluations and all(
                ev['metrics'] for ev in record['evaluations']):
            return 'done'
    checkpoints = glob.glob(osp.join(run.work_dir, '*.pth'))
    if checkpoints or osp.isfile(osp.join(run.work_dir, 'last_checkpoint')):
        return 'resume'
    return 'pending'


# --------------------------------------------------------------- execution
def command(run: Run, status: str, options: Sequence[str] = ()) -> List[str]:
    """The ``tools/run_protocol.py`` command line of a run."""
    cmd = [sys.executable, osp.join(TOOLS_DIR, 'run_protocol.py'),
           run.config, '--seed', str(run.seed), '--work-dir', run.work_dir]
    if status == 'resume':
        cmd.append('--resume')
    return cmd + list(options)


def subprocess_runner(cmd: List[str], env: Dict[str, str], log: str) -> int:
    """Run ``cmd``, its command line and output appended to ``log``; the
    exit status."""
    with open(log, 'a', encoding='utf-8') as f:
        f.write('$ ' + ' '.join(cmd) + '\n')
        f.flush()
        return subprocess.call(cmd, env=env, stdout=f,
                               stderr=subprocess.STDOUT)


def execute(runs: List[Run], gpus: int = 0,
            options: Sequence[str] = (),
            runner: Callable[[List[str], Dict[str, str], str], int] =
            subprocess_runner) -> Dict[str, List[str]]:
    """Run every run that is not done: one after another, or ``gpus`` at a
    time, each with its own ``CUDA_VISIBLE_DEVICES``.

    Returns:
        dict: ``skipped``, ``ran`` and ``failed`` run names.
    """
    summary = dict(skipped=[], ran=[], failed=[])
    todo = []
    for run in runs:
        status = run_status(run)
        if status == 'done':
            summary['skipped'].append(run.name)
        else:
            todo.append((run, status))
    lock = threading.Lock()
    queue = list(todo)

    def worker(device: Optional[int]) -> None:
        while True:
            with lock:
                if not queue:
                    return
                run, status = queue.pop(0)
            if run.config_text is not None:
                os.makedirs(osp.dirname(run.config), exist_ok=True)
                with open(run.config, 'w', encoding='utf-8') as f:
                    f.write(run.config_text)
            env = dict(os.environ)
            if device is not None:
                env['CUDA_VISIBLE_DEVICES'] = str(device)
            print(f'[{status}] {run.name}'
                  + (f' on GPU {device}' if device is not None else ''),
                  flush=True)
            os.makedirs(run.work_dir, exist_ok=True)
            try:
                code = runner(command(run, status, options), env,
                              osp.join(run.work_dir, 'sweep.log'))
            except Exception as err:  # the runner itself broke: next run
                print(f'{type(err).__name__}: {err}', flush=True)
                code = -1
            with lock:
                summary['ran' if code == 0 else 'failed'].append(run.name)
            if code:
                print(f'FAILED ({code}): {run.name}; see '
                      f'{osp.join(run.work_dir, "sweep.log")}', flush=True)

    devices = list(range(gpus)) if gpus > 0 else [None]
    threads = [threading.Thread(target=worker, args=(d, )) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary


def print_plan(runs: List[Run]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for run in runs:
        status = run_status(run)
        counts[status] = counts.get(status, 0) + 1
        covers = [c for c in run.covers if c != run.dataset]
        extra = f' (tests {", ".join(covers)})' if covers else ''
        print(f'{status:>8}  {run.name}  {run.work_dir}{extra}')
    print(', '.join(f'{n} {s}' for s, n in sorted(counts.items())) +
          f' of {len(runs)} runs')
    return counts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Run methods x datasets x seeds (x shots) of one '
        'protocol through tools/run_protocol.py; skip finished runs, resume '
        'interrupted ones')
    parser.add_argument('--methods', nargs='+',
                        help='method folders under configs/ (default: '
                        'hicropl with --ablations)')
    parser.add_argument('--protocol', required=True, choices=PROTOCOLS)
    parser.add_argument('--datasets', nargs='+', required=True,
                        help='config stems or groups of '
                        'projects/hicropl/evaluation/suites.py (paper)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    parser.add_argument('--shots', type=int, nargs='+',
                        help='few-shot K values')
    parser.add_argument('--ablations', nargs='+', default=[],
                        help='HiCroPL ablations: all, a table (table4) or '
                        'config names of configs/hicropl/ablations')
    parser.add_argument('--work-root', default='work_dirs',
                        help='root of the work dirs (default: work_dirs)')
    parser.add_argument('--configs-root', default=None,
                        help='config tree (default: the repository\'s '
                        'configs/)')
    parser.add_argument('--gpus', type=int, default=0,
                        help='run this many at once, one GPU each '
                        '(default: one after another)')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the plan with each run\'s status')
    parser.add_argument('--run-options', nargs=argparse.REMAINDER,
                        default=[],
                        help='passed on to tools/run_protocol.py (last)')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if not args.methods:
        if not args.ablations:
            parser.error('--methods is required (or --ablations)')
        args.methods = [ABLATION_METHOD]
    return args


def main(argv=None) -> Dict:
    args = parse_args(argv)
    runs = plan(args.methods, args.protocol, args.datasets, args.seeds,
                args.shots, args.ablations, args.configs_root,
                args.work_root)
    if args.dry_run:
        return dict(runs=runs, counts=print_plan(runs))
    summary = execute(runs, args.gpus, args.run_options)
    print(f'{len(summary["ran"])} ran, {len(summary["skipped"])} skipped '
          f'(done), {len(summary["failed"])} failed')
    if summary['failed']:
        raise SystemExit(1)
    return dict(runs=runs, **summary)


if __name__ == '__main__':
    run_main(main)
