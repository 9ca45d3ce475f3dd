"""The miniature paper's committed report is made from its committed runs."""
import glob
import json
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'world'))

import collect_runs  # noqa: E402

DOCS = osp.join(REPO, 'docs', 'miniature')
# tools/world/miniature_paper.sh's defaults
SEEDS = ['1', '2', '3']
SHOTS = ['1', '4', '16']
# its default methods: the folders with configs of the miniature suite
METHODS = sorted({
    p.split(osp.sep)[-3]
    for p in glob.glob(
        osp.join(REPO, 'configs', '*', '*', 'world_objects*.py'))
} - {'_base_'})


def _record(config, work_dir):
    return dict(format='hicropl-results', version=1, setting='CoOp',
                protocol='base2novel', dataset='WorldObjects', seed=1,
                num_shots=16, config=config, work_dir=work_dir,
                evaluations=[dict(role='test', dataset='WorldObjects',
                                  config=config, metrics={'b2n/base': 1.0})])


def test_collect_makes_paths_portable(tmp_path):
    work_root = tmp_path / 'work'
    run = work_root / 'coop' / 'base2novel' / 'world_objects' / 'seed1'
    run.mkdir(parents=True)
    inside = osp.join(REPO, 'configs', 'coop', 'base2novel',
                      'world_objects.py')
    outside = str(tmp_path / 'mine.py')
    record = _record(inside, str(run))
    record['evaluations'].append(
        dict(role='test', dataset='Mine', config=outside, metrics={}))
    (run / 'results.json').write_text(json.dumps(record))

    assert collect_runs.collect(str(work_root), str(tmp_path / 'dest')) == 1
    out = json.loads((tmp_path / 'dest' / 'coop' / 'base2novel' /
                      'world_objects' / 'seed1' / 'results.json').read_text())
    assert out['config'] == 'configs/coop/base2novel/world_objects.py'
    assert out['work_dir'] == 'coop/base2novel/world_objects/seed1'
    assert [e['config'] for e in out['evaluations']] == [out['config'],
                                                          outside]
    assert out['evaluations'][0]['metrics'] == {'b2n/base': 1.0}


def test_collect_keeps_runs_it_does_not_replace(tmp_path):
    dest = tmp_path / 'dest'
    old = dest / 'hicropl' / 'fewshot' / 'world_counts_1shot' / 'seed1'
    old.mkdir(parents=True)
    (old / 'results.json').write_text('{}')
    (tmp_path / 'work').mkdir()
    assert collect_runs.collect(str(tmp_path / 'work'), str(dest)) == 0
    assert (old / 'results.json').read_text() == '{}'


def test_collect_names_a_missing_work_root(tmp_path, capsys):
    with pytest.raises(SystemExit):
        collect_runs.run_main(collect_runs.main,
                              [str(tmp_path / 'nowhere'), str(tmp_path)])
    assert '--work-root' in capsys.readouterr().err


def test_committed_tables_are_the_committed_runs(tmp_path):
    runs = osp.join(DOCS, 'runs')
    assert glob.glob(osp.join(runs, '*', '*', '*', 'seed*', 'results.json'))
    subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis', 'report.py'),
         runs, '--out-dir', str(tmp_path), '--only-found', '--seeds', *SEEDS,
         '--shots', *SHOTS, '--methods', *METHODS],
        check=True, cwd=REPO, capture_output=True)
    committed = sorted(osp.basename(p)
                       for p in glob.glob(osp.join(DOCS, '*.md')))
    assert committed == sorted(osp.basename(p)
                               for p in glob.glob(str(tmp_path / '*.md')))
    for name in committed:
        with open(osp.join(DOCS, name)) as f:
            assert f.read() == (tmp_path / name).read_text(), name
