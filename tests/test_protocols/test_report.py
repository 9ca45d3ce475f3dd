"""tools/analysis/report.py turns work directories with results.json files
(written by the same writer as tools/run_protocol.py) into the paper's
tables (Markdown + CSV) and plots, averaging over seeds and showing missing
runs as missing."""
import csv
import json

import pytest
from PIL import Image
from protocol_helpers import load_tool

from projects.hicropl.evaluation import harmonic_mean, write_results

report = load_tool('analysis/report')

B2N = {  # dataset -> seed -> (base, novel, all); EuroSAT seed 3 missing
    'OxfordPets': {1: (95.0, 97.0, 90.0), 2: (96.0, 98.0, 91.0),
                   3: (94.0, 96.5, 89.0)},
    'EuroSAT': {1: (90.0, 70.0, 60.0), 2: (92.0, 74.0, 62.0)},
}
FEWSHOT = {(1, 1): 80.0, (1, 2): 82.0, (2, 1): 85.0, (16, 1): 90.0,
           (16, 2): 92.0}  # (K, seed) on OxfordPets; K=2 seed 2 missing
XD = {'ImageNet': 71.0, 'Caltech101': 94.0, 'OxfordPets': 90.0}
DG = {'ImageNetV2': 64.0}


def evaluation(protocol, role, dataset, metrics):
    return dict(protocol=protocol, role=role, dataset=dataset,
                config=f'configs/x/{dataset}.py', metrics=metrics)


def run(root, protocol, dataset, seed, shots, evaluations, setting='HiCroPL',
        finished=None):
    record = dict(protocol=protocol, setting=setting, dataset=dataset,
                  num_shots=shots, seed=seed, config='x.py',
                  checkpoint='best_accuracy_top1_epoch_50.pth',
                  selection='best', epoch=50, evaluations=evaluations)
    if finished:
        record['finished'] = finished
    folder = root / protocol / f'{dataset}_{shots}' / f'seed{seed}'
    return write_results(str(folder), record)


@pytest.fixture
def work_dirs(tmp_path):
    root = tmp_path / 'work_dirs'
    for dataset, seeds in B2N.items():
        for seed, (base, novel, joint) in seeds.items():
            run(root, 'base2novel', dataset, seed, 16, [
                evaluation('base2novel', 'test', dataset, {
                    'b2n/base': base, 'b2n/novel': novel,
                    'b2n/hm': harmonic_mean(base, novel), 'b2n/all': joint})
            ])
    for (k, seed), acc in FEWSHOT.items():
        run(root, 'fewshot', 'OxfordPets', seed, k, [
            evaluation('fewshot', 'test', 'OxfordPets',
                       {'accuracy/top1': acc})])
    evaluations = [evaluation('cross_dataset', 'source', 'ImageNet',
                              {'accuracy/top1': XD['ImageNet']})]
    evaluations += [evaluation('cross_dataset', 'target', d,
                               {'accuracy/top1': XD[d]})
                    for d in ('Caltech101', 'OxfordPets')]
    evaluations += [evaluation('domain_generalization', 'target',
                               'ImageNetV2', {'accuracy/top1': 64.0})]
    run(root, 'cross_dataset', 'ImageNet', 1, 16, evaluations)
    return root


def read_csv(path):
    with open(path) as f:
        return {(r['row'], r['column']): r for r in csv.DictReader(f)}


def mean(values):
    return sum(values) / len(values)


# CSV numbers are rounded to 2 decimals: a value is within half a unit of
# the last printed digit of the exact one.
ROUNDED = dict(abs=0.005 + 1e-9)


def test_tables_match_the_inputs(work_dirs, tmp_path):
    out = tmp_path / 'report'
    report.main([str(work_dirs), '--out-dir', str(out), '--only-found'])
    t1 = read_csv(out / 'table1_base2novel.csv')
    pets_base = mean([v[0] for v in B2N['OxfordPets'].values()])
    pets_novel = mean([v[1] for v in B2N['OxfordPets'].values()])
    assert float(t1[('OxfordPets', 'Base')]['value']) == pytest.approx(
        pets_base, **ROUNDED)
    assert float(t1[('OxfordPets', 'HM')]['value']) == pytest.approx(
        harmonic_mean(pets_base, pets_novel), **ROUNDED)
    assert t1[('OxfordPets', 'Base')]['status'] == 'complete'
    assert t1[('OxfordPets', 'Base')]['seeds'] == '1:95.00 2:96.00 3:94.00'
    # EuroSAT: seed 3 missing -> mean of seeds 1, 2, flagged and listed.
    sat = t1[('EuroSAT', 'Novel')]
    assert float(sat['value']) == pytest.approx(72.0, **ROUNDED)
    assert (sat['status'], sat['missing_seeds']) == ('incomplete', '3')
    # Average over the two datasets: computed, flagged incomplete.
    avg = t1[('Average', 'Base')]
    assert float(avg['value']) == pytest.approx(mean([pets_base, 91.0]), **ROUNDED)
    assert avg['status'] == 'incomplete'
    assert float(t1[('Average', 'HM')]['value']) == pytest.approx(
        harmonic_mean(mean([pets_base, 91.0]), mean([pets_novel, 72.0])), **ROUNDED)
    md = (out / 'table1_base2novel.md').read_text()
    assert f'| OxfordPets | {pets_base:.2f} | {pets_novel:.2f} |' in md
    assert '| EuroSAT | 91.00* | 72.00* |' in md
    assert 'HiCroPL: EuroSAT, seed(s) 3' in md

    few = read_csv(out / 'fewshot.csv')
    assert float(few[('OxfordPets', '1-shot')]['value']) == 81.0
    assert few[('OxfordPets', '2-shot')]['status'] == 'incomplete'
    assert few[('OxfordPets', '4-shot')]['status'] == 'missing'
    assert few[('Average', '4-shot')]['value'] == ''  # never dropped

    t2 = read_csv(out / 'table2_cross_dataset.csv')
    assert float(t2[('HiCroPL', 'ImageNet')]['value']) == 71.0
    assert float(t2[('HiCroPL', 'Average')]['value']) == pytest.approx(92.0, **ROUNDED)
    t3 = read_csv(out / 'table3_domain_generalization.csv')
    assert float(t3[('HiCroPL', 'ImageNet')]['value']) == 71.0
    assert float(t3[('HiCroPL', 'ImageNet-V2')]['value']) == 64.0

    for name in ('fewshot.png', 'base_novel.png'):
        with Image.open(out / name) as image:
            assert image.format == 'PNG' and min(image.size) > 100
    full = (out / 'report.md').read_text()
    for title in ('Table 1', 'Table 2', 'Table 3', 'Few-shot'):
        assert title in full


def test_missing_datasets_make_averages_missing(work_dirs, tmp_path):
    """By default the paper's datasets are expected: the 9 datasets without
    runs are listed as missing and the averages are missing, not averages
    over the datasets that happen to exist."""
    out = tmp_path / 'report'
    tables = report.main([str(work_dirs), '--out-dir', str(out)])
    t1 = read_csv(out / 'table1_base2novel.csv')
    assert t1[('Caltech101', 'Base')]['status'] == 'missing'
    assert t1[('Average', 'Base')]['value'] == ''
    assert '| Average | - | - | - |' in (out / 'table1_base2novel.md'
                                          ).read_text()
    t2 = read_csv(out / 'table2_cross_dataset.csv')
    assert t2[('HiCroPL', 'Average')]['status'] == 'missing'
    assert t2[('HiCroPL', 'DTD')]['status'] == 'missing'
    assert list(tables['table2'].columns[:3]) == [
        'ImageNet', 'Caltech101', 'OxfordPets']


def test_transfer_tables_name_the_source_and_show_zero_shot(tmp_path):
    """Tables 2 / 3 name the source dataset the runs used (the paper's is
    ImageNet), and zero-shot CLIP, which tests every dataset in a run of its
    own (role ``test``), fills its source and target columns from those."""
    root = tmp_path / 'work_dirs'
    for seed, (src, tgt, dg) in {1: (40.0, 30.0, 20.0),
                                 2: (42.0, 32.0, 22.0)}.items():
        run(root, 'cross_dataset', 'WorldObjects', seed, 16, [
            evaluation('cross_dataset', 'source', 'WorldObjects',
                       {'accuracy/top1': src}),
            evaluation('cross_dataset', 'target', 'WorldCounts',
                       {'accuracy/top1': tgt}),
            evaluation('domain_generalization', 'target',
                       'WorldObjectsSketch', {'accuracy/top1': dg})])
        for protocol, dataset, acc in (
                ('cross_dataset', 'WorldObjects', 10.0 + seed),
                ('cross_dataset', 'WorldCounts', 5.0),
                ('domain_generalization', 'WorldObjectsSketch', 7.0)):
            run(root / 'zs', protocol, dataset, seed, 16, [
                evaluation(protocol, 'test', dataset, {'accuracy/top1': acc})
            ], setting='ZeroShotCLIP')
    out = tmp_path / 'report'
    tables = report.main([str(root), '--out-dir', str(out), '--only-found'])
    assert list(tables['table2'].columns) == [
        'WorldObjects', 'WorldCounts', 'Average']
    assert list(tables['table3'].columns) == [
        'WorldObjects', 'WorldObjectsSketch', 'Average']
    t2 = read_csv(out / 'table2_cross_dataset.csv')
    assert float(t2[('HiCroPL', 'WorldObjects')]['value']) == 41.0
    assert float(t2[('ZeroShotCLIP', 'WorldObjects')]['value']) == 11.5
    assert float(t2[('ZeroShotCLIP', 'WorldCounts')]['value']) == 5.0
    assert t2[('ZeroShotCLIP', 'Average')]['status'] == 'complete'
    t3 = read_csv(out / 'table3_domain_generalization.csv')
    assert float(t3[('HiCroPL', 'WorldObjects')]['value']) == 41.0
    assert float(t3[('ZeroShotCLIP', 'WorldObjects')]['value']) == 11.5
    assert float(t3[('ZeroShotCLIP', 'WorldObjectsSketch')]['value']) == 7.0
    assert 'Missing runs' not in (out / 'table2_cross_dataset.md').read_text()


def test_expected_seeds_and_duplicates(work_dirs, tmp_path):
    # A fourth expected seed: every entry becomes incomplete.
    out = tmp_path / 'report'
    report.main([str(work_dirs), '--out-dir', str(out), '--only-found',
                 '--seeds', '1', '2', '3', '4'])
    t1 = read_csv(out / 'table1_base2novel.csv')
    assert t1[('OxfordPets', 'Base')]['missing_seeds'] == '4'
    assert t1[('EuroSAT', 'Base')]['missing_seeds'] == '3 4'
    # A rerun of OxfordPets seed 1 in another folder: the later one counts.
    run(work_dirs / 'rerun', 'base2novel', 'OxfordPets', 1, 16, [
        evaluation('base2novel', 'test', 'OxfordPets', {
            'b2n/base': 50.0, 'b2n/novel': 50.0, 'b2n/hm': 50.0,
            'b2n/all': 50.0})], finished='2999-01-01T00:00:00')
    with pytest.warns(UserWarning, match='Two runs'):
        report.main([str(work_dirs), '--out-dir', str(out), '--only-found'])
    t1 = read_csv(out / 'table1_base2novel.csv')
    assert float(t1[('OxfordPets', 'Base')]['value']) == pytest.approx(
        mean([50.0, 96.0, 94.0]), **ROUNDED)


def test_bad_results_file_is_named(tmp_path):
    bad = tmp_path / 'w' / 'results.json'
    bad.parent.mkdir()
    bad.write_text(json.dumps({'format': 'something-else'}))
    with pytest.raises(ValueError, match=str(bad)):
        report.main([str(tmp_path / 'w'), '--out-dir', str(tmp_path / 'o')])


def test_expected_methods_without_runs_are_shown_missing(work_dirs, tmp_path):
    """``--methods``: a method folder whose runs are all absent (e.g. every
    one failed) gets its rows, missing, and its runs listed as missing, in
    the protocols it has configs for; an unknown folder is named."""
    out = tmp_path / 'report'
    tables = report.main([str(work_dirs), '--out-dir', str(out),
                          '--only-found', '--methods', 'hicropl', 'cocoop'])
    assert tables['table1'].settings == ['CoCoOp', 'HiCroPL']
    t1 = read_csv(out / 'table1_base2novel.csv')
    assert t1[('OxfordPets', 'CoCoOp Base')]['status'] == 'missing'
    assert t1[('OxfordPets', 'CoCoOp Base')]['missing_seeds'] == '1 2 3'
    assert t1[('OxfordPets', 'HiCroPL Base')]['status'] == 'complete'
    assert t1[('Average', 'CoCoOp HM')]['status'] == 'missing'
    text = (out / 'table1_base2novel.md').read_text()
    assert '- CoCoOp: OxfordPets, seed(s) 1, 2, 3' in text
    assert 'CoCoOp' in tables['fewshot'].settings
    assert read_csv(out / 'table2_cross_dataset.csv')[
        ('CoCoOp', 'ImageNet')]['status'] == 'missing'
    with pytest.raises(SystemExit, match='no method folder .*nomethod'):
        report.main([str(work_dirs), '--out-dir', str(out),
                     '--methods', 'nomethod'])
