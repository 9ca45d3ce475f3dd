"""tools/gpu_check.py: method discovery, and its CPU path end to end (the
GPU path is the same code with CUDA; without CUDA every part or item left
out is reported with its reason)."""
import glob
import importlib.util
import json
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STATUSES = {'passed', 'failed', 'skipped', 'partial'}


def load_gpu_check():
    spec = importlib.util.spec_from_file_location(
        'hicropl_test_gpu_check', osp.join(REPO, 'tools', 'gpu_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def method_folders():
    return sorted(osp.basename(osp.dirname(p))
                  for p in glob.glob(osp.join(REPO, 'configs', '*', '*_demo.py')))


def test_discovers_every_method_and_the_official_learner():
    gpu_check = load_gpu_check()
    cases = gpu_check.discover_methods()
    plain = sorted(c['name'] for c in cases if not c['cfg_options'])
    assert plain == method_folders() and 'hicropl' in plain and 'coop' in plain
    variants = [c for c in cases if c['cfg_options']]
    official = [c for c in variants
                if c['cfg_options'].get('model.prompt_learner.type')
                == 'HiCroPLOfficialPromptLearner']
    assert len(official) == 1
    assert official[0]['config'] == 'configs/hicropl/hicropl_demo.py'
    assert official[0]['cfg_options']['find_unused_parameters'] is True
    # settings variants (cross-dataset depths) change no class: not methods
    assert all(any(k.endswith('.type') for k in c['cfg_options']) for c in variants)


def test_flat_delta_names_only_what_changed():
    gpu_check = load_gpu_check()
    old = dict(a=1, m=dict(p=dict(type='A', n=2), q=3))
    new = dict(a=1, m=dict(p=dict(type='B', n=2), q=3), f=True)
    assert gpu_check.flat_delta(new, old) == {'m.p.type': 'B', 'f': True}


@pytest.mark.e2e
def test_cpu_path_writes_json_and_report(tmp_path):
    """Without CUDA: methods forward/backward, the fp32 train/test run and the
    speed code path run; AMP, ViT-B/16 shapes and NCCL are skipped, each with
    its reason; JSON and text report written."""
    gpu_check = load_gpu_check()
    out = tmp_path / 'gpu_check'
    shots = [f'{split}_dataloader.dataset.num_shots=2' for split in ('train', 'val', 'test')]
    report = gpu_check.main(['--out-dir', str(out), '--device', 'cpu', '--in-process',
                             '--e2e-cfg-options', *shots])
    on_disk = json.loads((out / 'gpu_check.json').read_text())
    assert on_disk['status'] == report['status'] == 'passed', (out / 'gpu_check.txt').read_text()
    assert on_disk['schema_version'] == gpu_check.SCHEMA_VERSION and on_disk['complete'] is True
    env = on_disk['environment']
    for key in ('date', 'python', 'torch', 'device', 'cuda_available', 'mmengine', 'mmpretrain',
                'open_clip_torch'):
        assert key in env, key
    assert env['device'] == 'cpu'
    parts = on_disk['parts']
    assert list(parts) == list(gpu_check.PARTS)
    for name, part in parts.items():
        assert part['status'] in STATUSES, name
        if part['status'] == 'skipped':
            assert part['reason'], name
        if part['status'] == 'partial':
            assert part['skipped'], name
    assert on_disk['skipped'], 'a CPU run skips the CUDA-only items'
    for item in on_disk['skipped']:
        assert item['part'] in gpu_check.PARTS and item['what']
        assert 'CUDA' in item['reason'], item

    methods = parts['methods']['results']
    assert sorted({r['name'] for r in methods}) == sorted(
        {c['name'] for c in gpu_check.discover_methods()})
    for result in methods:
        assert result['status'] == 'passed' and result['scores_finite'], result
        if result['training'] == 'train_step':
            assert result['tensors_with_grad'] >= 1 and result['grad_norm'] > 0, result
    assert {r['training'] for r in methods} == {'train_step', 'fit', 'none'}

    amp = parts['amp_e2e']
    assert [r['name'] for r in amp['results']] == ['fp32']
    run = amp['results'][0]
    assert run['checkpoint_finite'] and run['checkpoint_tensors'] > 0
    assert 0.0 <= run['test_top1'] <= 100.0
    assert sorted(s['what'] for s in amp['skipped']) == [
        'tools/train.py --amp bf16', 'tools/train.py --amp fp16']

    speed = parts['speed']['results']
    assert len(speed) == 1 and speed[0]['status'] == 'passed'
    for key in ('train_step_s', 'baseline_train_step_s', 'eval_batch_s', 'baseline_eval_batch_s'):
        assert speed[0][key] > 0, key
    assert parts['ddp']['status'] == 'skipped' and 'NCCL' in parts['ddp']['reason']

    text = (out / 'gpu_check.txt').read_text()
    for name in gpu_check.PARTS:
        assert f'] {name}:' in text, name
    assert 'skipped:' in text and 'hicropl B=2 C=4 fp32' in text


def test_cuda_speed_grid_is_every_setting_once():
    """On CUDA the speed part times B x C x precision at ViT-B/16 shapes plus
    each HiCroPL learner variant at the first B in fp32 (built without CUDA:
    only the plan is checked here)."""
    import itertools
    from argparse import Namespace

    import torch
    gpu_check = load_gpu_check()
    args = gpu_check.parse_args([])
    ctx = Namespace(args=args, device=torch.device('cuda'))
    settings, skipped = gpu_check.speed_settings(ctx)
    assert skipped == []
    plain = [(s['batch_size'], s['num_classes'], s['precision']) for s in settings
             if s['variant'] == 'hicropl']
    assert sorted(plain) == sorted(itertools.product([32, 128], [100, 1000],
                                                     ['fp32', 'fp16', 'bf16']))
    assert all(s['config'] == gpu_check.SPEED_CONFIG for s in settings)
    variants = [s for s in settings if s['variant'] != 'hicropl']
    assert [(s['variant'], s['batch_size'], s['num_classes'], s['precision']) for s in variants] \
        == [('hicropl-official', 32, 100, 'fp32'), ('hicropl-official', 32, 1000, 'fp32')]
    assert variants[0]['cfg_options']['model.prompt_learner.type'] == \
        'HiCroPLOfficialPromptLearner'
