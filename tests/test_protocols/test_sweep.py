"""tools/sweep.py: the plan is exactly the runs the report needs; a sweep
stopped by a failed run and restarted executes only the missing runs, and
an interrupted run (checkpoint, no results) is resumed, not retrained."""
import os
import threading
import time

import pytest
from mmengine.config import Config
from protocol_helpers import (CONFIGS, REPO, demo_data, demo_descriptions, load_tool,
                              write_tiny_config)

from projects.hicropl.evaluation import write_results
from projects.hicropl.evaluation.ablations import ABLATION_TABLES
from projects.hicropl.testing import tiny_clip_arch

sweep = load_tool('sweep')
report = load_tool('analysis/report')
run_protocol = load_tool('run_protocol')


def dataset_of(run):
    cfg = Config.fromfile(run.config) if run.config_text is None else None
    return run_protocol.dataset_name(cfg.test_dataloader.dataset)


def fake_results(root, protocol, dataset, seed, shots, metrics, ablation=None):
    record = dict(protocol=protocol, setting='HiCroPL', dataset=dataset, num_shots=shots,
                  seed=seed, config='x.py', checkpoint='x.pth', selection='best', epoch=1,
                  evaluations=[dict(protocol=protocol, role='test', dataset=dataset,
                                    metrics=metrics)])
    if ablation:
        record.update(ablation=ablation, setting=f'HiCroPL [{ablation}]')
    write_results(str(root / f'{ablation}{dataset}{shots}{seed}'), record)


@pytest.mark.parametrize('protocol,shots', [('base2novel', None), ('fewshot', [1, 16])])
def test_dry_run_lists_the_runs_the_report_needs(tmp_path, protocol, shots, capsys):
    seeds = [1, 2, 3]
    args = ['--methods', 'hicropl', '--protocol', protocol, '--datasets', 'paper',
            '--seeds', *map(str, seeds), '--work-root', str(tmp_path / 'w'), '--dry-run']
    if shots:
        args += ['--shots', *map(str, shots)]
    out = sweep.main(args)
    assert out['counts'] == {'pending': len(out['runs'])}
    assert 'pending' in capsys.readouterr().out
    planned = {(report.display(dataset_of(r)), r.shots, r.seed) for r in out['runs']}
    assert len(planned) == len(out['runs'])
    # The report of one finished run, expecting the same seeds and shots.
    metric = {'b2n/base': 1.0, 'b2n/novel': 1.0} if protocol == 'base2novel' else {
        'accuracy/top1': 1.0}
    fake_results(tmp_path / 'r', protocol, 'ImageNet', 1, 16, metric)
    runs = report.collect([str(p) for p in (tmp_path / 'r').rglob('results.json')])
    (table, ) = report.build_report(runs, seeds, shots).values()
    rows = [r for r in table.rows if r != 'Average']
    needed = {(row, k, s) for row in rows for k in (shots or [None]) for s in seeds}
    assert planned == needed


def test_dry_run_ablations_cover_the_ablation_table(tmp_path):
    out = sweep.main(['--protocol', 'base2novel', '--datasets', 'dtd', 'eurosat',
                      '--seeds', '1', '2', '--ablations', 'table13', '--work-root',
                      str(tmp_path), '--dry-run'])
    rows = ABLATION_TABLES['table13'][1]
    planned = {(r.ablation, r.dataset, r.seed) for r in out['runs']}
    assert planned == {(name, d, s) for _, name in rows for d in ('dtd', 'eurosat')
                       for s in (1, 2)}
    ablation = next(r for r in out['runs'] if r.ablation == 'table13_consistency_l1')
    assert ablation.work_dir == str(tmp_path / 'hicropl' / 'ablations' /
                                    'table13_consistency_l1' / 'dtd' / 'seed1')
    # the generated config is the ablation on that dataset
    path = tmp_path / 'cfg.py'
    path.write_text(ablation.config_text)
    cfg = Config.fromfile(str(path))
    assert cfg.model.losses[1].criterion == 'l1' and cfg.ablation == 'table13_consistency_l1'
    eurosat = next(r for r in out['runs'] if r.ablation and r.dataset == 'eurosat')
    path.write_text(eurosat.config_text)
    assert 'eurosat' in Config.fromfile(str(path)).test_dataloader.dataset.type.lower()


def zero_shot_config(path, data):
    text = f'''
_base_ = [{str(REPO / 'configs' / 'zsclip' / 'base2novel' / 'dtd.py')!r}]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=32, edge='short'),
                 dict(type='CenterCrop', crop_size=32), dict(type='PackInputs')]
model = dict(backbone=dict(arch=dict(_delete_=True, **{tiny_clip_arch()!r}), pretrained=None))
test_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                       dataset=dict({data!r}, pipeline=test_pipeline))
'''
    path.write_text(text)


def in_process(cmd, env, log):
    """``tools/run_protocol.py`` in this process (as the sweep's subprocess
    would run it, without the start-up cost); the exit status."""
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(cmd) + '\n')
    try:
        run_protocol.main(cmd[2:])
    except Exception as e:  # a failed run: the sweep goes on
        with open(log, 'a') as f:
            f.write(f'{type(e).__name__}: {e}\n')
        return 1
    return 0


def sweep_main(argv):
    """``tools/sweep.py`` main with the runs executed in-process."""
    args = sweep.parse_args(argv)
    runs = sweep.plan(args.methods, args.protocol, args.datasets, args.seeds,
                      configs_root=args.configs_root, work_root=args.work_root)
    if args.dry_run:
        return dict(counts=sweep.print_plan(runs))
    return sweep.execute(runs, runner=in_process)


def test_gpus_run_at_once_each_on_its_own_device(tmp_path):
    """--gpus 2: two runs at a time, never two on one device."""
    runs = [sweep.Run('m', f'd{i}', 1, 'c.py', str(tmp_path / f'd{i}')) for i in range(5)]
    seen, active, peak, lock = [], set(), [0], threading.Lock()

    def runner(cmd, env, log):
        device = env['CUDA_VISIBLE_DEVICES']
        with lock:
            assert device not in active
            active.add(device)
            peak[0] = max(peak[0], len(active))
        time.sleep(0.05)
        with lock:
            active.discard(device)
            seen.append((cmd[cmd.index('--work-dir') + 1], device))
        return 0

    summary = sweep.execute(runs, gpus=2, runner=runner)
    assert sorted(w for w, _ in seen) == sorted(r.work_dir for r in runs)
    assert {d for _, d in seen} == {'0', '1'} and peak[0] == 2
    assert len(summary['ran']) == 5


@pytest.mark.e2e
def test_sweep_restarts_only_missing_runs_and_resumes(tmp_path, one_torch_thread, monkeypatch):
    # config text as plain `key = repr(value)` lines instead of slow yapf formatting
    monkeypatch.setattr(Config, 'pretty_text', property(lambda self: '\n'.join(
        f'{k} = {v!r}' for k, v in self._to_lazy_dict().items())))
    configs = tmp_path / 'configs'
    (configs / 'hicropl' / 'base2novel').mkdir(parents=True)
    (configs / 'zsclip' / 'base2novel').mkdir(parents=True)
    alpha = dict(demo_data(tmp_path / 'alpha', num_classes=4), dataset_name='Alpha',
                 serialize_data=False)  # skips mmengine's slow gc.collect() per build
    beta = dict(alpha, data_root=str(tmp_path / 'beta'), dataset_name='Beta')  # no data yet
    for name, data in (('alpha', alpha), ('beta', beta)):
        write_tiny_config(configs / 'hicropl' / 'base2novel' / f'{name}.py',
                          CONFIGS / 'base2novel' / 'dtd.py', data,
                          demo_descriptions(tmp_path / 'alpha'), max_epochs=1, with_val=False,
                          extra='test_checkpoint = "last"\nval_dataloader = None\n'
                                'val_cfg = None\nval_evaluator = None')
    zero_shot_config(configs / 'zsclip' / 'base2novel' / 'alpha.py', alpha)
    work = tmp_path / 'work_dirs'
    common = ['--protocol', 'base2novel', '--seeds', '1', '--configs-root', str(configs),
              '--work-root', str(work)]
    args = ['--methods', 'hicropl', '--datasets', 'alpha', 'beta', *common]
    with pytest.raises(ValueError, match='No config beta.py in configs/zsclip/base2novel'):
        sweep.plan(['zsclip'], 'base2novel', ['beta'], [1], configs_root=str(configs))

    # 1st sweep: beta fails (its data is missing); alpha finishes
    out = sweep_main(args)
    assert out['failed'] == ['hicropl/beta seed1'] and out['ran'] == ['hicropl/alpha seed1']
    alpha_dir = work / 'hicropl' / 'base2novel' / 'alpha' / 'seed1'
    assert (alpha_dir / 'results.json').is_file()
    assert not (work / 'hicropl' / 'base2novel' / 'beta' / 'seed1' / 'results.json').exists()
    done_mtime = os.stat(alpha_dir / 'results.json').st_mtime_ns

    # 2nd sweep after the fix: only beta runs
    demo_data(tmp_path / 'beta', num_classes=4)
    out = sweep_main(args)
    assert (out['ran'], out['skipped'], out['failed']) == (
        ['hicropl/beta seed1'], ['hicropl/alpha seed1'], [])
    assert os.stat(alpha_dir / 'results.json').st_mtime_ns == done_mtime

    # an interrupted run: checkpoint, no results -> resumed, not retrained
    checkpoint = alpha_dir / 'epoch_1.pth'
    trained = os.stat(checkpoint).st_mtime_ns
    (alpha_dir / 'results.json').unlink()
    plan = sweep_main(args + ['--dry-run'])
    assert plan['counts'] == {'done': 1, 'resume': 1}
    out = sweep_main(args)
    assert (out['ran'], out['skipped']) == (['hicropl/alpha seed1'], ['hicropl/beta seed1'])
    assert (alpha_dir / 'sweep.log').read_text().count('--resume') == 1
    assert os.stat(checkpoint).st_mtime_ns == trained
    assert (alpha_dir / 'results.json').is_file()

    # zero-shot: a test-only run, then skipped
    zero_shot = ['--methods', 'zsclip', '--datasets', 'alpha', *common]
    assert sweep_main(zero_shot)['ran'] == ['zsclip/alpha seed1']
    assert sweep_main(zero_shot)['skipped'] == ['zsclip/alpha seed1']
    record = report.load_results(str(work / 'zsclip' / 'base2novel' / 'alpha' / 'seed1' /
                                     'results.json'))
    assert record['checkpoint'] is None and record['selection'] == 'none'
    assert set(record['evaluations'][0]['metrics']) >= {'b2n/base', 'b2n/novel'}
