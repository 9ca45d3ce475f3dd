#!/usr/bin/env python
"""One-command check of the plugin on a GPU (and what of it a CPU can run).

Needs no download: methods run on the small CLIPs of their demo configs
(``configs/<method>/<method>_demo.py``, random weights) and the speed part
builds ViT-B/16 shapes with random weights. Parts (``--parts``):

* ``methods``: forward + backward (or the fit of a fitted model) and one
  evaluation batch of every method found in ``configs/`` (one demo config per
  method folder, plus each learner variant among the ``_base_`` model
  configs, e.g. HiCroPL's official learner), on synthetic data. Checked:
  finite loss and gradients, some gradient non-zero, every parameter and
  buffer on the device, finite evaluation scores.
* ``amp_e2e``: ``tools/train.py`` (one epoch of the HiCroPL demo, generated
  data) in fp32, ``--amp`` fp16 and ``--amp --amp-dtype bfloat16``, each
  followed by ``tools/test.py`` on the saved checkpoint (checkpoint
  save / load and test on the device).
* ``speed``: ``tools/benchmark.py`` at ViT-B/16 shapes, ``B x C x precision``
  (default 32/128 x 100/1000 x fp32/fp16/bf16): training-step and
  evaluation-batch time and peak GPU memory of the plugin and, in the same
  process, of the authors' arithmetic (``--baseline``); learner variants
  (the official learner) at the first B and both C in fp32.
* ``ddp``: ``tools/train.py --launcher pytorch`` under ``torchrun`` with the
  NCCL backend: 2 processes on 2 GPUs; with one GPU a 1-process NCCL run
  (NCCL refuses two ranks on one GPU).

Without CUDA the CPU-meaningful parts run at small shapes (methods, the fp32
train/test run, the speed code path on the demo CLIP) and every part or item
left out is listed with its reason. Parts that no longer fit in
``--budget-s`` are skipped with that reason. Writes ``gpu_check.json`` and
``gpu_check.txt`` to ``--out-dir``; exit status 1 if a check failed.

Example::

    python tools/gpu_check.py --out-dir work_dirs/gpu_check
"""
import argparse
import ast
import datetime
import glob
import importlib.util
import json
import math
import os
import os.path as osp
import platform
import re
import socket
import subprocess
import sys
import time
import traceback
from argparse import Namespace
from typing import Dict, List, Optional, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402

PARTS = ('methods', 'amp_e2e', 'speed', 'ddp')
DEMO_CONFIG = 'configs/hicropl/hicropl_demo.py'
SPEED_CONFIG = 'configs/hicropl/base2novel/oxford_pets.py'
SCHEMA_VERSION = 1
AMP_DTYPES = {'fp16': 'float16', 'bf16': 'bfloat16'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='work_dirs/gpu_check')
    parser.add_argument('--parts', nargs='+', choices=PARTS, default=list(PARTS))
    parser.add_argument('--device', default=None,
                        help="'cuda' or 'cpu' (default: cuda when available)")
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[32, 128],
                        help='speed part on CUDA (default: %(default)s)')
    parser.add_argument('--num-classes', type=int, nargs='+', default=[100, 1000],
                        help='speed part on CUDA (default: %(default)s)')
    parser.add_argument('--precisions', nargs='+', default=['fp32', 'fp16', 'bf16'],
                        choices=['fp32', 'fp16', 'bf16'])
    parser.add_argument('--repeats', type=int, default=3, help='timed runs per speed setting')
    parser.add_argument('--e2e-cfg-options', nargs='*', default=[],
                        help='more key=value options of the train/test runs '
                        '(e.g. fewer shots for a quick CPU run)')
    parser.add_argument('--in-process', action='store_true',
                        help='run tools/train.py and tools/test.py in this process '
                        '(faster; the default runs them as commands)')
    parser.add_argument('--budget-s', type=float, default=450.0,
                        help='parts or speed settings that start later are skipped')
    return parser.parse_args(argv)


# ------------------------------------------------------------------ discovery
def base_files(path: str) -> List[str]:
    """The ``_base_`` files a config file names directly (absolute paths)."""
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == '_base_'):
            value = ast.literal_eval(node.value)
            names = [value] if isinstance(value, str) else list(value)
            return [osp.normpath(osp.join(osp.dirname(path), n)) for n in names]
    return []


def flat_delta(new, old, prefix='') -> Dict:
    """``key.path -> value`` of what ``new`` sets differently from ``old``."""
    delta = {}
    for key, value in new.items():
        path = f'{prefix}{key}'
        if isinstance(value, dict) and isinstance(old.get(key), dict):
            delta.update(flat_delta(value, old[key], path + '.'))
        elif key not in old or old[key] != value:
            delta[path] = value
    return delta


def discover_methods(root: str = REPO_ROOT) -> List[Dict]:
    """One case per method folder (its ``*_demo.py``), plus learner variants:
    a ``_base_/models`` config built on a model config that a demo uses and
    changing a ``type`` (another class), applied to that demo as options."""
    from mmengine.config import Config
    cases = []
    model_dir = osp.join(root, 'configs', '_base_', 'models')
    for demo in sorted(glob.glob(osp.join(root, 'configs', '*', '*_demo.py'))):
        method = osp.basename(osp.dirname(demo))
        rel = osp.relpath(demo, root)
        cases.append(dict(name=method, config=rel, cfg_options={}))
        models = [b for b in base_files(demo) if osp.dirname(b) == model_dir]
        for variant in sorted(glob.glob(osp.join(model_dir, '*.py'))):
            parents = [b for b in base_files(variant) if b in models]
            if not parents or variant in models:
                continue
            delta = flat_delta(Config.fromfile(variant).to_dict(),
                               Config.fromfile(parents[0]).to_dict())
            if any(k.endswith('.type') for k in delta):
                name = osp.splitext(osp.basename(variant))[0].split('_')[0]
                cases.append(dict(name=name, config=rel, cfg_options=delta))
    return cases


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        'hicropl_gpu_check_benchmark', osp.join(REPO_ROOT, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ parts
def off_device(model, device: torch.device) -> List[str]:
    tensors = list(model.named_parameters()) + list(model.named_buffers())
    return [n for n, t in tensors if t.device.type != device.type]


def check_method(case: Dict, device: torch.device, bench, batch_size=2,
                 num_classes=4) -> Dict:
    """Forward + backward (or fit) and one evaluation batch of one case."""
    from mmengine.registry import init_default_scope
    args = Namespace(config=osp.join(REPO_ROOT, case['config']),
                     cfg_options=dict(case['cfg_options']), random_weights=True)
    cfg, _ = bench.load_config(args)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    torch.manual_seed(0)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    model = bench.build_model(cfg, num_classes, device)
    kind = bench.training_kind(model)
    data = bench.synthetic_batch(model, batch_size, num_classes)
    result = dict(name=case['name'], config=case['config'], cfg_options=case['cfg_options'],
                  model=type(model).__name__,
                  learner=type(getattr(model, 'prompt_learner', None)).__name__,
                  training=kind, errors=[])
    if kind == 'train_step':
        model.train()
        batch = model.data_preprocessor(data, True)
        loss, _ = model.parse_losses(model(**batch, mode='loss'))
        loss.backward()
        params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        grads = [(n, p.grad) for n, p in params if p.grad is not None]
        result.update(loss=loss.item(), trainable_tensors=len(params),
                      tensors_with_grad=len(grads),
                      grad_norm=float(torch.stack([g.float().norm() for _, g in grads]).norm())
                      if grads else 0.0)
        if not math.isfinite(result['loss']):
            result['errors'].append(f'loss is {result["loss"]}')
        bad = [n for n, g in grads if not torch.isfinite(g).all()]
        if bad:
            result['errors'].append(f'non-finite gradients: {bad[:5]}')
        if not any(bool(g.abs().sum() > 0) for _, g in grads):
            result['errors'].append('every gradient is zero or missing')
        wrong = [n for n, g in grads if g.device.type != device.type]
        if wrong:
            result['errors'].append(f'gradients off {device.type}: {wrong[:5]}')
    elif kind == 'fit':
        with torch.no_grad():
            batch = model.data_preprocessor(data, False)
            features = model.extract_feat(batch['inputs'])
        labels = torch.cat([s.gt_label for s in batch['data_samples']]).to(features.device)
        model.fit(features, labels, features, labels)
    model.eval()
    with torch.no_grad():
        outputs = model.val_step(data)
    scores = torch.stack([o.pred_score for o in outputs])
    result.update(score_device=str(scores.device),
                  scores_finite=bool(torch.isfinite(scores).all()))
    if not result['scores_finite']:
        result['errors'].append('non-finite evaluation scores')
    wrong = off_device(model, device)
    if wrong:
        result['errors'].append(f'tensors off {device.type}: {wrong[:5]}')
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        result['peak_cuda_mb'] = torch.cuda.max_memory_allocated(device) / 2**20
    result['seconds'] = time.perf_counter() - start
    result['status'] = 'failed' if result['errors'] else 'passed'
    return result


def part_methods(ctx) -> Dict:
    bench = load_benchmark()
    results = []
    for case in discover_methods():
        try:
            results.append(check_method(case, ctx.device, bench))
        except Exception as error:  # noqa: BLE001 (reported, the check goes on)
            results.append(dict(name=case['name'], config=case['config'], status='failed',
                                errors=[f'{type(error).__name__}: {error}'],
                                traceback=traceback.format_exc(limit=-6)))
        if ctx.device.type == 'cuda':
            torch.cuda.empty_cache()
    failed = [r['name'] for r in results if r['status'] == 'failed']
    return dict(status='failed' if failed else 'passed', results=results,
                summary=f'{len(results) - len(failed)}/{len(results)} method cases passed'
                + (f' (failed: {", ".join(failed)})' if failed else ''))


def demo_options(data_root: str, extra: List[str] = ()) -> List[str]:
    """The demo's data generated at ``data_root``, one short epoch, then
    ``extra`` options."""
    options = [f'{loader}.dataset.{key}={value}'
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
               for key, value in (('data_root', data_root), ('generate', True))]
    return options + [f'model.class_text.descriptions={data_root}/descriptions.json',
                      'train_cfg.max_epochs=1', 'param_scheduler.T_max=1',
                      'train_cfg.val_interval=1', *extra]


def run_command(argv: List[str], log_path: str, timeout=300) -> Tuple[int, str, float]:
    """(exit status, output, seconds) of a command run from the repository."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    with open(log_path, 'w') as f:
        f.write('$ ' + ' '.join(argv) + '\n' + out)
    return proc.returncode, out, time.perf_counter() - start


def run_tool(ctx, tool: str, args: List[str], work_dir: str,
             log_path: str) -> Tuple[int, str, float]:
    """``tools/<tool>.py args``: a command, or with ``--in-process`` its
    ``main(args)`` here (the output is then read from the run's log file)."""
    path = osp.join(REPO_ROOT, 'tools', f'{tool}.py')
    if not ctx.args.in_process:
        return run_command([sys.executable, path, *args], log_path)
    spec = importlib.util.spec_from_file_location(f'hicropl_gpu_check_{tool}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start, rc = time.perf_counter(), 0
    before = set(glob.glob(osp.join(work_dir, '*', '*.log')))
    try:
        module.main(args)
    except (Exception, SystemExit):  # noqa: BLE001 (the exit status of the command)
        rc = 1
        with open(log_path, 'w') as f:
            f.write(traceback.format_exc())
    logs = sorted(set(glob.glob(osp.join(work_dir, '*', '*.log'))) - before,
                  key=osp.getmtime)
    out = ''
    for log in logs:
        with open(log) as f:
            out += f.read()
    if rc == 0:
        with open(log_path, 'w') as f:
            f.write('main(' + repr(args) + ')\n' + out)
    return rc, out, time.perf_counter() - start


def last_float(pattern: str, text: str) -> Optional[float]:
    found = re.findall(pattern, text)
    return float(found[-1]) if found else None


def train_and_test(ctx, name: str, extra: List[str]) -> Dict:
    """tools/train.py (+ ``extra``), then tools/test.py on its checkpoint."""
    from projects.hicropl.engine import safe_torch_load
    work_dir = osp.join(ctx.out_dir, 'runs', name)
    options = ['--cfg-options', *demo_options(ctx.data_root, ctx.args.e2e_cfg_options)]
    config = osp.join(REPO_ROOT, DEMO_CONFIG)
    rc, out, seconds = run_tool(ctx, 'train', [config, '--work-dir', work_dir, *extra, *options],
                                work_dir, osp.join(ctx.out_dir, f'{name}_train.log'))
    result = dict(name=name, args=extra, train_rc=rc, train_s=seconds, errors=[],
                  train_loss=last_float(r'Epoch\(train\).*\sloss: ([-\d.naninf]+)', out))
    if rc != 0:
        result['errors'].append(f'tools/train.py exit {rc}: {out.strip().splitlines()[-1:]}')
        return result
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    state = safe_torch_load(checkpoint)
    tensors = state['state_dict']
    result.update(checkpoint_tensors=len(tensors),
                  checkpoint_finite=all(bool(torch.isfinite(t).all()) for t in tensors.values()),
                  checkpoint_keys=sorted(k for k in state if k != 'state_dict'))
    if not result['checkpoint_finite']:
        result['errors'].append('non-finite values in the checkpoint')
    if result['train_loss'] is None or not math.isfinite(result['train_loss']):
        result['errors'].append(f'training loss {result["train_loss"]}')
    rc, out, seconds = run_tool(ctx, 'test', [config, checkpoint, '--work-dir', work_dir,
                                              *options],
                                work_dir, osp.join(ctx.out_dir, f'{name}_test.log'))
    result.update(test_rc=rc, test_s=seconds,
                  test_top1=last_float(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out))
    if rc != 0 or result['test_top1'] is None:
        result['errors'].append(f'tools/test.py exit {rc}: {out.strip().splitlines()[-1:]}')
    return result


def part_amp_e2e(ctx) -> Dict:
    runs = [('fp32', [])] + [(p, ['--amp', '--amp-dtype', AMP_DTYPES[p]])
                             for p in ('fp16', 'bf16')]
    results, skipped = [], []
    for name, extra in runs:
        if name != 'fp32' and ctx.device.type != 'cuda':
            skipped.append(dict(what=f'tools/train.py --amp {name}', reason=(
                "no CUDA device: MMEngine's AmpOptimWrapper refuses to run without a GPU "
                '(CPU bf16 autocast is covered by tests/test_robustness/test_amp_cpu.py)')))
            continue
        if ctx.out_of_time():
            skipped.append(dict(what=f'train/test {name}', reason='time budget (--budget-s) spent'))
            continue
        result = train_and_test(ctx, name, extra)
        result['status'] = 'failed' if result['errors'] else 'passed'
        results.append(result)
    failed = [r['name'] for r in results if r['status'] == 'failed']
    return dict(status='failed' if failed else ('partial' if skipped else 'passed'),
                results=results, skipped=skipped,
                summary=', '.join(f"{r['name']}: loss {r.get('train_loss')}, test top1 "
                                  f"{r.get('test_top1')} ({r['status']})" for r in results))


def speed_settings(ctx) -> Tuple[List[Dict], List[Dict]]:
    """(settings to time, items skipped with their reason)."""
    if ctx.device.type != 'cuda':
        return [dict(config=DEMO_CONFIG, batch_size=2, num_classes=4, precision='fp32',
                     repeats=1, variant='hicropl', cfg_options={})], [dict(
            what='ViT-B/16 shapes (B=%s, C=%s, %s)' % (ctx.args.batch_sizes,
                                                     ctx.args.num_classes,
                                                     '/'.join(ctx.args.precisions)),
            reason='no CUDA device: only the demo CLIP at B=2, C=4, fp32 is run '
                   '(the code path, not a measurement)')]
    settings = [dict(config=SPEED_CONFIG, batch_size=b, num_classes=c, precision=p,
                     repeats=ctx.args.repeats, variant='hicropl', cfg_options={})
                for p in ctx.args.precisions for b in ctx.args.batch_sizes
                for c in ctx.args.num_classes]
    for case in discover_methods():
        if case['name'] != 'hicropl' and case['config'].startswith('configs/hicropl/'):
            settings += [dict(config=SPEED_CONFIG, batch_size=ctx.args.batch_sizes[0],
                              num_classes=c, precision='fp32', repeats=ctx.args.repeats,
                              variant=case['name'], cfg_options=case['cfg_options'])
                         for c in ctx.args.num_classes]
    return settings, []


SPEED_KEYS = ('train_step_s', 'eval_batch_s', 'eval_batch_cold_s', 'baseline_train_step_s',
              'baseline_eval_batch_s', 'peak_cuda_mb', 'baseline_peak_cuda_mb', 'peak_rss_mb',
              'train_images_per_s', 'eval_images_per_s', 'text_tokens_per_step')


def part_speed(ctx) -> Dict:
    bench = load_benchmark()
    settings, skipped = speed_settings(ctx)
    results = []
    for setting in settings:
        label = (f"{setting['variant']} B={setting['batch_size']} C={setting['num_classes']} "
                 f"{setting['precision']}")
        if ctx.out_of_time():
            skipped.append(dict(what=label, reason='time budget (--budget-s) spent'))
            continue
        args = Namespace(config=osp.join(REPO_ROOT, setting['config']),
                         batch_size=setting['batch_size'], num_classes=setting['num_classes'],
                         device=str(ctx.device), precision=setting['precision'], threads=None,
                         world_size=1, repeats=setting['repeats'], warmup=1,
                         random_weights=True, baseline=True, no_flops=True,
                         cfg_options=dict(setting['cfg_options']))
        row = dict(setting, label=label)
        try:
            measured = bench.run_benchmark(args)
            row.update({k: measured[k] for k in SPEED_KEYS if k in measured})
            row['status'] = 'passed'
        except Exception as error:  # noqa: BLE001 (an OOM is a result too)
            row.update(status='failed', errors=[f'{type(error).__name__}: {error}'[:500]])
        results.append(row)
        if ctx.device.type == 'cuda':
            torch.cuda.empty_cache()
    failed = [r['label'] for r in results if r['status'] == 'failed']
    status = 'failed' if failed else ('partial' if skipped else 'passed')
    return dict(status=status, results=results, skipped=skipped,
                summary=f'{len(results) - len(failed)}/{len(results)} settings timed')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def part_ddp(ctx) -> Dict:
    if ctx.device.type != 'cuda':
        return dict(status='skipped', results=[], skipped=[], reason=(
            'no CUDA device: the NCCL backend needs CUDA (DDP with gloo on CPU is '
            'covered by tests/test_distributed)'))
    gpus = torch.cuda.device_count()
    nproc = 2 if gpus >= 2 else 1
    skipped = [] if nproc == 2 else [dict(what='2 NCCL processes', reason=(
        'one GPU: NCCL refuses two ranks on one GPU (duplicate GPU) and MMEngine binds rank r '
        'to cuda:r; ran 1 NCCL process under torchrun instead'))]
    work_dir = osp.join(ctx.out_dir, 'runs', 'ddp')
    argv = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}',
            f'--master_port={free_port()}', osp.join(REPO_ROOT, 'tools', 'train.py'),
            osp.join(REPO_ROOT, DEMO_CONFIG), '--launcher', 'pytorch', '--work-dir', work_dir,
            '--cfg-options', *demo_options(ctx.data_root, ctx.args.e2e_cfg_options),
            'env_cfg.dist_cfg.backend=nccl']
    rc, out, seconds = run_command(argv, osp.join(ctx.out_dir, 'ddp_train.log'))
    result = dict(name=f'torchrun nproc={nproc} nccl', rc=rc, seconds=seconds,
                  distributed='Distributed training: True' in out,
                  train_loss=last_float(r'Epoch\(train\).*\sloss: ([-\d.naninf]+)', out),
                  checkpoint=osp.isfile(osp.join(work_dir, 'last_checkpoint')), errors=[])
    if rc != 0 or not result['distributed'] or not result['checkpoint']:
        result['errors'].append(f'exit {rc}: {out.strip().splitlines()[-1:]}')
    result['status'] = 'failed' if result['errors'] else 'passed'
    status = 'failed' if result['errors'] else ('partial' if skipped else 'passed')
    return dict(status=status, results=[result], skipped=skipped,
                summary=f"{result['name']}: exit {rc}, loss {result['train_loss']}")


# ------------------------------------------------------------------ report
def environment(device: torch.device) -> Dict:
    import importlib.metadata as metadata
    env = dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
               python=platform.python_version(), torch=torch.__version__,
               torch_cuda=torch.version.cuda, device=str(device),
               cuda_available=torch.cuda.is_available(),
               gpu_count=torch.cuda.device_count() if torch.cuda.is_available() else 0)
    for name in ('torchvision', 'mmengine', 'mmcv-lite', 'mmpretrain', 'open_clip_torch',
                 'numpy'):
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            env[name] = None
    if device.type == 'cuda':
        props = torch.cuda.get_device_properties(device)
        env.update(gpu=props.name, gpu_memory_mb=props.total_memory / 2**20,
                   capability=f'{props.major}.{props.minor}')
        try:
            nccl = torch.cuda.nccl.version()  # a tuple (an int in old torch)
            env['nccl'] = '.'.join(map(str, nccl)) if isinstance(nccl, tuple) else str(nccl)
        except (AttributeError, RuntimeError) as error:
            env['nccl'] = f'unavailable: {error}'
    try:
        env['commit'] = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO_ROOT,
                                       capture_output=True, text=True).stdout.strip() or None
    except OSError:
        env['commit'] = None
    return env


def text_report(report: Dict) -> str:
    env = report['environment']
    lines = [f"GPU check {env['date']}: {env.get('gpu', 'no GPU')} ({env['device']}), "
             f"torch {env['torch']} (CUDA {env['torch_cuda']}), status {report['status']}, "
             f"{report['seconds']:.0f} s", '']
    for name, part in report['parts'].items():
        line = f"[{part['status']}] {name}: {part.get('summary') or part.get('reason', '')}"
        lines.append(line)
    speed = report['parts'].get('speed', {}).get('results', [])
    if speed:
        lines += ['', 'setting | train step s | baseline s | eval batch s | baseline s | '
                  'peak MiB | baseline peak MiB']
        for r in speed:
            values = [r.get(k) for k in ('train_step_s', 'baseline_train_step_s', 'eval_batch_s',
                                         'baseline_eval_batch_s', 'peak_cuda_mb',
                                         'baseline_peak_cuda_mb')]
            cells = ['-' if v is None else f'{v:.4g}' for v in values]
            lines.append(f"{r['label']} | " + ' | '.join(cells)
                         + ('' if r['status'] == 'passed' else f" ({r['errors'][0]})"))
    if report['skipped']:
        lines += ['', 'skipped:'] + [f"- {s['part']}: {s['what']}: {s['reason']}"
                                     for s in report['skipped']]
    return '\n'.join(lines) + '\n'


def write_report(ctx, parts: Dict, skipped: List[Dict], env: Dict, complete: bool) -> Dict:
    """Write ``gpu_check.json`` (``complete`` is False until every part ran)."""
    status = 'failed' if any(p['status'] == 'failed' for p in parts.values()) else 'passed'
    report = dict(schema_version=SCHEMA_VERSION, status=status, complete=complete,
                  environment=env, parts=dict(parts), skipped=list(skipped),
                  seconds=time.perf_counter() - ctx.start)
    with open(osp.join(ctx.out_dir, 'gpu_check.json'), 'w') as f:
        json.dump(report, f, indent=1, default=str)
    return report


class Context:
    def __init__(self, args):
        self.args = args
        self.device = torch.device(args.device or ('cuda' if torch.cuda.is_available()
                                                    else 'cpu'))
        self.out_dir = osp.abspath(args.out_dir)
        self.data_root = osp.join(self.out_dir, 'data', 'hicropl_demo')
        self.start = time.perf_counter()

    def out_of_time(self) -> bool:
        return time.perf_counter() - self.start > self.args.budget_s


def main(argv=None) -> Dict:
    args = parse_args(argv)
    ctx = Context(args)
    if ctx.device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device is available here.')
    os.makedirs(ctx.out_dir, exist_ok=True)
    import projects.hicropl  # noqa: F401 (registers the plugin)
    parts, skipped = {}, []
    env = environment(ctx.device)
    functions = dict(methods=part_methods, amp_e2e=part_amp_e2e, speed=part_speed, ddp=part_ddp)
    for name in PARTS:
        if name not in args.parts:
            parts[name] = dict(status='skipped', reason='not selected (--parts)', results=[])
        elif ctx.out_of_time():
            parts[name] = dict(status='skipped', reason='time budget (--budget-s) spent',
                               results=[])
        else:
            start = time.perf_counter()
            try:
                parts[name] = functions[name](ctx)
            except Exception as error:  # noqa: BLE001 (reported, the other parts run)
                parts[name] = dict(status='failed', results=[], errors=[
                    f'{type(error).__name__}: {error}'], traceback=traceback.format_exc())
            parts[name]['seconds'] = time.perf_counter() - start
        if parts[name]['status'] == 'skipped':
            skipped.append(dict(part=name, what='whole part', reason=parts[name]['reason']))
        skipped += [dict(part=name, **s) for s in parts[name].get('skipped', [])]
        print(f"[{parts[name]['status']}] {name}", flush=True)
        # written after every part: a run stopped from outside keeps what it measured
        report = write_report(ctx, parts, skipped, env, complete=name == PARTS[-1])
    text = text_report(report)
    with open(osp.join(ctx.out_dir, 'gpu_check.txt'), 'w') as f:
        f.write(text)
    print(text, flush=True)
    return report


if __name__ == '__main__':
    sys.exit(0 if main()['status'] == 'passed' else 1)
