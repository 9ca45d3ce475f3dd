#!/usr/bin/env python
"""Collect finished protocol runs into the paper's tables and plots.

Reads every ``results.json`` (written by ``tools/run_protocol.py``) under the
given work directories, averages each entry over seeds and writes, into
``--out-dir``:

* ``table1_base2novel.{md,csv}``: base / novel / HM per dataset + average
  (paper Table 1; HM of the averaged base and novel accuracies, as the
  paper computes it);
* ``table2_cross_dataset.{md,csv}``: the source dataset (ImageNet in the
  paper) + 10 targets + average of the targets (Table 2);
* ``table3_domain_generalization.{md,csv}``: the source + V2 / Sketch / A /
  R + average of the targets (Table 3);
* ``fewshot.{md,csv}``: accuracy per dataset and K (Table 14) + average;
* ``fewshot.png`` (accuracy vs K per dataset and average, Fig. 3) and
  ``base_novel.png`` (base / novel bars per dataset);
* ``ablation_<table>.{md,csv}`` and ``ablations.md``: the HiCroPL ablation
  tables (paper Tables 4-7, 11-13, Fig. 4) in the paper's layout (Base /
  Novel / HM averaged over the datasets the ablation runs cover), when
  runs of ``configs/hicropl/ablations`` are present. The paper's default
  row is the plain HiCroPL base-to-novel run; ablation runs are kept out of
  the other tables;
* ``report.md``: all tables.

Missing runs are never dropped silently: an entry with some seeds missing
is the mean of the seeds found, marked ``*``; an entry with none is ``-``;
an average over datasets is ``-`` as soon as one dataset is missing and
``*`` when one is incomplete. Every missing (dataset, seed) is listed under
its table, and the CSV files hold per-seed values and missing seeds.

Entries are marked ``†`` when a run behind them used random CLIP weights
(``pretrained`` None or empty: accuracy is meaningless) and ``‡`` when it
trained on data other than the paper's (see
``projects/hicropl/evaluation/results.py``: your own data, another split,
or a modified copy of a benchmark); ``report.md`` lists every run with its
backbone, weights, real shots per class and plugin version. CSV numbers are
rounded to 2 decimals, as the paper prints them.

Expected seeds default to every seed found in the runs of the same protocol
(``--seeds`` sets them);
expected datasets to the paper's (plus any other dataset found;
``--only-found`` keeps just the datasets found); expected shots to
1, 2, 4, 8, 16 (plus any other found); expected settings (rows) to those
found, plus those of the method folders given with ``--methods`` (so that
a method whose runs all failed is shown missing, not left out).

Example::

    python tools/analysis/report.py work_dirs/hicropl --out-dir reports/hicropl
"""
import argparse
import csv
import glob
import math
import os
import os.path as osp
import sys
import warnings
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.evaluation.metrics.base_novel import \
    harmonic_mean  # noqa: E402
from projects.hicropl.evaluation.ablations import \
    ABLATION_TABLES  # noqa: E402
from projects.hicropl.evaluation.results import (  # noqa: E402
    default_setting, find_results, load_results, random_weights)

# The paper's datasets in its column order (dataset_name of our datasets).
PAPER_DATASETS = [
    'ImageNet', 'Caltech101', 'OxfordPets', 'StanfordCars', 'OxfordFlowers',
    'Food101', 'FGVCAircraft', 'SUN397', 'DescribableTextures', 'EuroSAT',
    'UCF101'
]
XD_TARGETS = PAPER_DATASETS[1:]
DG_TARGETS = ['ImageNetV2', 'ImageNetSketch', 'ImageNetA', 'ImageNetR']
PAPER_SHOTS = [1, 2, 4, 8, 16]
DISPLAY = {
    'OxfordFlowers': 'Flowers102',
    'FGVCAircraft': 'Aircraft',
    'DescribableTextures': 'DTD',
    'ImageNetV2': 'ImageNet-V2',
    'ImageNetSketch': 'ImageNet-Sketch',
    'ImageNetA': 'ImageNet-A',
    'ImageNetR': 'ImageNet-R',
}
ACCURACY = 'accuracy/top1'
B2N_METRICS = OrderedDict(base='b2n/base', novel='b2n/novel', all='b2n/all')
MISSING, INCOMPLETE = '-', '*'
RANDOM_WEIGHTS, OTHER_DATA = '†', '‡'
DECIMALS = 2  # as the paper prints accuracies
LEGEND = (f'`{INCOMPLETE}`: mean over the seeds found, some seeds missing; '
          f'`{MISSING}`: missing. Averages are missing if a dataset is '
          'missing and incomplete if one is incomplete. '
          f'`{RANDOM_WEIGHTS}`: a run on random CLIP weights (meaningless '
          f'accuracy); `{OTHER_DATA}`: a run trained on data other than the '
          'paper\'s (see "Runs" in report.md).')


def run_marks(run: Dict) -> str:
    """The marks of a run: random weights, data other than the paper's."""
    marks = RANDOM_WEIGHTS if random_weights(run) else ''
    if run.get('paper_data') is False:
        marks += OTHER_DATA
    return marks


def _round(value: float) -> str:
    return f'{value:.{DECIMALS}f}'


def display(dataset: str) -> str:
    return DISPLAY.get(dataset, dataset)


class Entry:
    """One table entry: a mean over seeds, or derived from other entries.

    Attributes:
        mean (float | None): The value; None when missing.
        status (str): ``'complete'``, ``'incomplete'`` or ``'missing'``.
        seeds (dict): ``seed -> value`` (entries read from runs).
        missing_seeds (list[int]): Expected seeds without a run.
    """

    def __init__(self, mean: Optional[float], status: str,
                 seeds: Optional[Dict[int, float]] = None,
                 missing_seeds: Sequence[int] = (),
                 marks: str = ''):
        self.mean = mean
        self.status = status
        self.seeds = dict(seeds or {})
        self.missing_seeds = list(missing_seeds)
        self.marks = ''.join(m for m in (RANDOM_WEIGHTS, OTHER_DATA)
                             if m in marks)

    @classmethod
    def from_seeds(cls, values: Dict[int, float],
                   expected: Sequence[int], marks: str = '') -> 'Entry':
        missing = [s for s in expected if s not in values]
        if not values:
            return cls(None, 'missing', {}, missing)
        mean = sum(values.values()) / len(values)
        return cls(mean, 'incomplete' if missing else 'complete', values,
                   missing, marks)

    @classmethod
    def derived(cls, entries: Sequence['Entry'], fn) -> 'Entry':
        """``fn(means)``; missing if any entry is, incomplete if any is;
        marked as any of the entries is."""
        if not entries or any(e.status == 'missing' for e in entries):
            return cls(None, 'missing')
        status = 'incomplete' if any(
            e.status == 'incomplete' for e in entries) else 'complete'
        return cls(fn([e.mean for e in entries]), status,
                   marks=''.join(e.marks for e in entries))

    @classmethod
    def average(cls, entries: Sequence['Entry']) -> 'Entry':
        return cls.derived(entries, lambda v: sum(v) / len(v))

    def text(self) -> str:
        if self.mean is None:
            return MISSING
        return _round(self.mean) + (INCOMPLETE if self.status ==
                                    'incomplete' else '') + self.marks


class Table:
    """Rows x columns of entries, rendered as Markdown and CSV."""

    def __init__(self, name: str, title: str, columns: List[str]):
        self.name = name
        self.title = title
        self.columns = columns
        self.rows: 'OrderedDict[str, Dict[str, Entry]]' = OrderedDict()
        self.missing_runs: List[str] = []
        self.notes: List[str] = []
        self.settings: List[str] = []
        self.shots: List[int] = []

    def add(self, row: str, column: str, entry: Entry) -> None:
        self.rows.setdefault(row, {})[column] = entry

    def markdown(self) -> str:
        lines = [f'### {self.title}', '',
                 '| ' + ' | '.join([''] + self.columns) + ' |',
                 '|' + '---|' * (len(self.columns) + 1)]
        for row, entries in self.rows.items():
            cells = [entries.get(c, Entry(None, 'missing')).text()
                     for c in self.columns]
            lines.append('| ' + ' | '.join([row] + cells) + ' |')
        lines += ['', LEGEND]
        lines += [f'- {note}' for note in self.notes]
        if self.missing_runs:
            lines += ['', 'Missing runs:']
            lines += [f'- {run}' for run in self.missing_runs]
        return '\n'.join(lines) + '\n'

    def csv_rows(self) -> List[List[str]]:
        rows = [['row', 'column', 'value', 'status', 'seeds',
                 'missing_seeds', 'marks']]
        for row, entries in self.rows.items():
            for column in self.columns:
                e = entries.get(column, Entry(None, 'missing'))
                rows.append([
                    row, column, '' if e.mean is None else _round(e.mean),
                    e.status, ' '.join(f'{s}:{_round(v)}'
                                       for s, v in sorted(e.seeds.items())),
                    ' '.join(str(s) for s in e.missing_seeds), e.marks
                ])
        return rows

    def write(self, out_dir: str) -> None:
        with open(osp.join(out_dir, f'{self.name}.md'), 'w') as f:
            f.write(self.markdown())
        with open(osp.join(out_dir, f'{self.name}.csv'), 'w',
                  newline='') as f:
            csv.writer(f).writerows(self.csv_rows())


# ---------------------------------------------------------------------------
# Collecting runs


def collect(paths: Iterable[str]) -> List[Dict]:
    """Load results files; of two runs with the same protocol, setting,
    dataset, shots and seed the later-finished one is kept (a warning
    names both)."""
    runs: Dict[Tuple, Dict] = {}
    for path in paths:
        record = load_results(path)
        record['_path'] = path
        key = (record['protocol'], record['setting'], record['dataset'],
               record['num_shots'], record['seed'])
        if key in runs:
            old = runs[key]
            keep, drop = (record, old) if record.get('finished', '') >= \
                old.get('finished', '') else (old, record)
            warnings.warn(f'Two runs of {key}: using {keep["_path"]}, '
                          f'ignoring {drop["_path"]}')
            runs[key] = keep
        else:
            runs[key] = record
    return list(runs.values())


def setting_label(run: Dict) -> str:
    """The table row/column label of a run: its setting, with the shots
    when a non-few-shot protocol was run with K != 16."""
    if run['protocol'] == 'fewshot' or run['num_shots'] == 16:
        return run['setting']
    return f'{run["setting"]} ({run["num_shots"]} shots)'


def observations(runs: List[Dict], protocol: str, metric: str,
                 roles: Sequence[str] = ('test', 'source', 'target')):
    """``(setting label, dataset, shots, seed, value, marks)`` of every
    evaluation of ``protocol`` with ``metric``."""
    for run in runs:
        for ev in run['evaluations']:
            if ev['protocol'] == protocol and ev['role'] in roles and \
                    metric in ev['metrics']:
                yield (setting_label(run), ev['dataset'], run['num_shots'],
                       run['seed'], float(ev['metrics'][metric]),
                       run_marks(run))


def settings_of(runs: List[Dict], protocols: Sequence[str],
                expected: Iterable[str] = ()) -> List[str]:
    """The settings of the runs of ``protocols``, and the ``expected``
    ones (shown missing when they have no run)."""
    return sorted({
        setting_label(r) for r in runs for ev in r['evaluations']
        if ev['protocol'] in protocols
    } | set(expected))


PROTOCOLS = ('base2novel', 'cross_dataset', 'domain_generalization',
             'fewshot')


def expected_settings(methods: Sequence[str],
                      configs_root: str) -> Dict[str, List[str]]:
    """``protocol -> setting labels`` of method folders under
    ``configs_root``: a method is expected in each protocol it has configs
    for, under the label ``tools/run_protocol.py`` gives its runs (that of
    its first config)."""
    from mmengine.config import Config
    expected = {p: [] for p in PROTOCOLS}
    for method in methods:
        folder = osp.join(configs_root, method)
        if not osp.isdir(folder):
            raise SystemExit(f'--methods: no method folder {folder}; choose '
                             f'among the folders of {configs_root}.')
        for protocol in PROTOCOLS:
            paths = sorted(glob.glob(osp.join(folder, protocol, '*.py')))
            if paths:
                expected[protocol].append(
                    default_setting(Config.fromfile(paths[0])))
    return expected


def _ordered(preferred: Sequence, found: Iterable) -> List:
    found = list(OrderedDict.fromkeys(found))
    return list(preferred) + [f for f in found if f not in preferred]


class SeedValues(dict):
    """``seed -> value``, with the marks of the runs behind them."""
    marks = ''


def _group(obs) -> Dict[Tuple, SeedValues]:
    groups: Dict[Tuple, SeedValues] = {}
    for setting, dataset, shots, seed, value, marks in obs:
        group = groups.setdefault((setting, dataset, shots), SeedValues())
        group[seed] = value
        group.marks += marks
    return groups


def _missing_text(setting: str, what: str, entry: Entry) -> Optional[str]:
    if not entry.missing_seeds:
        return None
    seeds = ', '.join(str(s) for s in entry.missing_seeds)
    return f'{setting}: {what}, seed(s) {seeds}'


# ---------------------------------------------------------------------------
# Tables


def table_base2novel(runs, seeds, datasets, expected=()) -> Table:
    """Paper Table 1: Base / Novel / HM per dataset and setting (those of
    the runs and the ``expected`` ones)."""
    settings = settings_of(runs, ['base2novel'], expected)
    groups = {
        name: _group(observations(runs, 'base2novel', metric))
        for name, metric in B2N_METRICS.items()
    }
    columns = [f'{s} {m}' if len(settings) > 1 else m for s in settings
               for m in ('Base', 'Novel', 'HM')]
    table = Table('table1_base2novel',
                  'Table 1: base-to-novel generalization', columns)
    per_setting = {s: {'base': [], 'novel': []} for s in settings}
    for dataset in datasets:
        for setting in settings:
            prefix = f'{setting} ' if len(settings) > 1 else ''
            entries = {}
            for name in ('base', 'novel'):
                values, marks = {}, ''
                for (s, d, _), v in groups[name].items():
                    if (s, d) == (setting, dataset):
                        values.update(v)
                        marks += v.marks
                entries[name] = Entry.from_seeds(values, seeds, marks)
                per_setting[setting][name].append(entries[name])
            missing = _missing_text(setting, display(dataset),
                                    entries['base'])
            if missing:
                table.missing_runs.append(missing)
            hm = Entry.derived([entries['base'], entries['novel']],
                               lambda v: harmonic_mean(*v))
            table.add(display(dataset), prefix + 'Base', entries['base'])
            table.add(display(dataset), prefix + 'Novel', entries['novel'])
            table.add(display(dataset), prefix + 'HM', hm)
    for setting in settings:
        prefix = f'{setting} ' if len(settings) > 1 else ''
        base = Entry.average(per_setting[setting]['base'])
        novel = Entry.average(per_setting[setting]['novel'])
        table.add('Average', prefix + 'Base', base)
        table.add('Average', prefix + 'Novel', novel)
        table.add('Average', prefix + 'HM',
                  Entry.derived([base, novel], lambda v: harmonic_mean(*v)))
    table.notes.append('HM = harmonic mean of the mean base and mean novel '
                       'accuracy (per dataset and for the average).')
    table.settings = settings
    return table


def table_transfer(runs, seeds, protocol: str, targets, name: str,
                   title: str, expected=()) -> Table:
    """Paper Tables 2 / 3: source (ImageNet in the paper) + targets + target
    average.

    A trained setting records its source test (role ``source``; for domain
    generalization, the one of its cross-dataset run) and its target tests
    (role ``target``). A setting without training (zero-shot CLIP) tests each
    dataset in a run of its own (role ``test``): its tests on the source
    dataset and on the targets fill its source and target columns.
    """
    settings = settings_of(runs, [protocol], expected)
    source_protocols = [protocol]
    if protocol == 'domain_generalization':
        source_protocols.append('cross_dataset')
    source_obs = [o for p in source_protocols
                  for o in observations(runs, p, ACCURACY, ('source', ))]
    source_datasets = sorted({o[1] for o in source_obs}) or ['ImageNet']
    tests = [o for p in source_protocols
             for o in observations(runs, p, ACCURACY, ('test', ))]
    source = _group(source_obs +
                    [o for o in tests if o[1] in source_datasets])
    target = _group(list(observations(runs, protocol, ACCURACY,
                                      ('target', ))) +
                    [o for o in tests if o[1] in targets])
    source_column = (display(source_datasets[0])
                     if len(source_datasets) == 1 else 'Source')
    columns = [source_column] + [display(t) for t in targets] + ['Average']
    table = Table(name, title, columns)
    for setting in settings:
        src, marks = {}, ''
        for (s, _, _), v in source.items():
            if s == setting:
                src.update(v)
                marks += v.marks
        entry = Entry.from_seeds(src, seeds, marks)
        table.add(setting, source_column, entry)
        missing = _missing_text(setting, f'{source_column} (source)', entry)
        if missing:
            table.missing_runs.append(missing)
        entries = []
        for dataset in targets:
            values, marks = {}, ''
            for (s, d, _), v in target.items():
                if (s, d) == (setting, dataset):
                    values.update(v)
                    marks += v.marks
            entry = Entry.from_seeds(values, seeds, marks)
            entries.append(entry)
            table.add(setting, display(dataset), entry)
            missing = _missing_text(setting, display(dataset), entry)
            if missing:
                table.missing_runs.append(missing)
        table.add(setting, 'Average', Entry.average(entries))
    table.notes.append('Average over the target datasets (not the source).')
    if len(source_datasets) > 1:
        table.notes.append('Source: ' + ', '.join(
            display(d) for d in source_datasets) + '.')
    table.settings = settings
    return table


def table_fewshot(runs, seeds, datasets, shots, expected=()) -> Table:
    """Few-shot accuracy per dataset and K (paper Table 14 / Fig. 3)."""
    settings = settings_of(runs, ['fewshot'], expected)
    groups = _group(observations(runs, 'fewshot', ACCURACY))
    columns = [f'{s} {k}-shot' if len(settings) > 1 else f'{k}-shot'
               for s in settings for k in shots]
    table = Table('fewshot', 'Few-shot classification', columns)
    per = {(s, k): [] for s in settings for k in shots}
    for dataset in datasets:
        for setting in settings:
            prefix = f'{setting} ' if len(settings) > 1 else ''
            for k in shots:
                group = groups.get((setting, dataset, k), SeedValues())
                entry = Entry.from_seeds(group, seeds, group.marks)
                per[(setting, k)].append(entry)
                table.add(display(dataset), f'{prefix}{k}-shot', entry)
                missing = _missing_text(setting,
                                        f'{display(dataset)} {k}-shot', entry)
                if missing:
                    table.missing_runs.append(missing)
    for setting in settings:
        prefix = f'{setting} ' if len(settings) > 1 else ''
        for k in shots:
            table.add('Average', f'{prefix}{k}-shot',
                      Entry.average(per[(setting, k)]))
    table.settings, table.shots = settings, list(shots)
    return table


# The setting of the runs that fill the paper's default ablation rows.
ABLATION_DEFAULT_SETTING = 'HiCroPL'


def ablation_tables(runs, seeds) -> 'OrderedDict[str, Table]':
    """The HiCroPL ablation tables that have at least one ablation run.

    Rows in the paper's order (:data:`ABLATION_TABLES`); columns Base /
    Novel / HM, each the mean over the datasets of the table's ablation
    runs (per dataset the mean over seeds), HM of the mean base and novel
    as in Table 1. The default row reads the plain HiCroPL runs.
    """
    b2n = [r for r in runs if r['protocol'] == 'base2novel']
    tables = OrderedDict()
    for table_id, (title, rows) in ABLATION_TABLES.items():
        names = {name for _, name in rows if name}
        mine = [r for r in b2n if r.get('ablation') in names]
        if not mine:
            continue
        datasets = _ordered(PAPER_DATASETS, [r['dataset'] for r in mine])
        datasets = [d for d in datasets if any(r['dataset'] == d
                                               for r in mine)]
        table = Table(f'ablation_{table_id}', title, ['Base', 'Novel', 'HM'])
        for label, name in rows:
            row_runs = [r for r in b2n if r.get('ablation') == name] \
                if name else [r for r in b2n if not r.get('ablation') and
                              r['setting'] == ABLATION_DEFAULT_SETTING]
            per = {'base': [], 'novel': []}
            for dataset in datasets:
                for key in per:
                    values, marks = {}, ''
                    for run in row_runs:
                        if run['dataset'] != dataset:
                            continue
                        for ev in run['evaluations']:
                            metric = B2N_METRICS[key]
                            if ev['role'] == 'test' and metric in ev['metrics']:
                                values[run['seed']] = float(ev['metrics'][metric])
                                marks += run_marks(run)
                    entry = Entry.from_seeds(values, seeds, marks)
                    per[key].append(entry)
                missing = _missing_text(name or ABLATION_DEFAULT_SETTING,
                                        display(dataset), per['base'][-1])
                if missing:
                    table.missing_runs.append(missing)
            base, novel = Entry.average(per['base']), Entry.average(
                per['novel'])
            table.add(label, 'Base', base)
            table.add(label, 'Novel', novel)
            table.add(label, 'HM', Entry.derived(
                [base, novel], lambda v: harmonic_mean(*v)))
        table.notes.append(
            'Mean over ' + ', '.join(display(d) for d in datasets) +
            '; HM of the mean base and mean novel accuracy.')
        tables[table_id] = table
    return tables


# ---------------------------------------------------------------------------
# Plots


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_fewshot(table: Table, settings, shots, path: str) -> None:
    """Accuracy vs K, one panel per dataset and the average (Fig. 3)."""
    plt = _pyplot()
    rows = ['Average'] + [r for r in table.rows if r != 'Average']
    cols = min(4, len(rows))
    nrows = math.ceil(len(rows) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols + 2.0,
                                                   2.8 * nrows),
                             squeeze=False)
    colours = plt.get_cmap('tab20' if len(settings) > 10 else 'tab10')
    for ax, row in zip(axes.flat, rows):
        for setting in settings:
            prefix = f'{setting} ' if len(settings) > 1 else ''
            entries = [table.rows[row].get(f'{prefix}{k}-shot')
                       for k in shots]
            # NaN for a missing K breaks the line there.
            ys = [e.mean if e and e.mean is not None else float('nan')
                  for e in entries]
            ax.plot(shots, ys, marker='o', label=setting,
                    color=colours(settings.index(setting) % colours.N))
            for k, e in zip(shots, entries):
                if e and e.status == 'incomplete':
                    ax.annotate(INCOMPLETE, (k, e.mean))
        ax.set_xscale('log', base=2)
        ax.set_xticks(shots)
        ax.set_xticklabels([str(k) for k in shots])
        ax.set_title(row)
        ax.set_xlabel('shots per class')
        ax.set_ylabel('accuracy (%)')
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(rows):]:
        ax.axis('off')
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize='small', loc='upper left',
               bbox_to_anchor=(3.2 * cols / (3.2 * cols + 2.0), 0.95))
    fig.tight_layout(rect=(0, 0, 3.2 * cols / (3.2 * cols + 2.0), 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_base_novel(table: Table, settings, path: str) -> None:
    """Base and novel accuracy bars per dataset (and the average)."""
    plt = _pyplot()
    rows = list(table.rows)
    bars = [(s, m) for s in settings for m in ('Base', 'Novel')]
    width = 0.8 / len(bars)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(rows) * len(
        settings)) + 2.5, max(3.8, 0.25 * len(bars))))
    # one colour per setting (20 distinct); novel bars hatched
    colours = plt.get_cmap('tab20' if len(settings) > 10 else 'tab10')
    for i, (setting, metric) in enumerate(bars):
        column = f'{setting} {metric}' if len(settings) > 1 else metric
        xs, ys = [], []
        for j, row in enumerate(rows):
            entry = table.rows[row].get(column)
            x = j + (i - (len(bars) - 1) / 2) * width
            if entry is None or entry.mean is None:
                ax.text(x, 1, 'missing', rotation=90, ha='center',
                        va='bottom', fontsize=7)
                continue
            xs.append(x)
            ys.append(entry.mean)
            if entry.status == 'incomplete':
                ax.text(x, entry.mean, INCOMPLETE, ha='center', va='bottom')
        label = f'{setting} {metric.lower()}' if len(settings) > 1 else \
            metric.lower()
        ax.bar(xs, ys, width, label=label,
               color=colours(settings.index(setting) % colours.N),
               hatch='//' if metric == 'Novel' else None,
               edgecolor='white' if metric == 'Novel' else None)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(rows, rotation=30, ha='right')
    ax.set_ylabel('accuracy (%)')
    ax.set_ylim(0, 100)
    ax.legend(fontsize='small', loc='upper left', bbox_to_anchor=(1.01, 1))
    ax.set_title('Base-to-novel generalization')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write the paper\'s tables and plots from finished '
        'protocol runs (results.json files)')
    parser.add_argument(
        'work_dirs', nargs='+', help='folders searched for results.json')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--seeds', type=int, nargs='+',
        help='expected seeds (default: every seed found)')
    parser.add_argument(
        '--shots', type=int, nargs='+',
        help='expected few-shot K (default: 1 2 4 8 16 and any found)')
    parser.add_argument(
        '--only-found', action='store_true',
        help='expect only the datasets found, not the paper\'s')
    parser.add_argument(
        '--methods', nargs='+', default=(),
        help='method folders under configs/ (e.g. hicropl coop) expected in '
        'every protocol they have configs for: a method without runs is '
        'shown missing (default: the methods found)')
    parser.add_argument(
        '--configs-root', default=osp.join(REPO_ROOT, 'configs'),
        help='config tree of --methods (default: the repository\'s)')
    return parser.parse_args(argv)


def build_report(runs: List[Dict],
                 seeds: Optional[Sequence[int]] = None,
                 shots: Optional[Sequence[int]] = None,
                 only_found: bool = False,
                 expected: Optional[Dict[str, List[str]]] = None
                 ) -> Dict[str, Table]:
    """The tables of the protocols that have at least one run; the
    ``expected`` settings of a protocol (:func:`expected_settings`) have
    rows there even without runs."""
    expected = expected or {}
    protocols = {ev['protocol'] for r in runs for ev in r['evaluations']}

    def seeds_of(*names):
        return sorted(seeds or {
            r['seed'] for r in runs for ev in r['evaluations']
            if ev['protocol'] in names
        })

    def datasets(protocol, preferred, roles=('test', )):
        found = [ev['dataset'] for r in runs for ev in r['evaluations']
                 if ev['protocol'] == protocol and ev['role'] in roles]
        if only_found:
            preferred = [d for d in preferred if d in found]
        return _ordered(preferred, found)

    tables = OrderedDict()
    if 'base2novel' in protocols:
        tables['table1'] = table_base2novel(
            runs, seeds_of('base2novel'),
            datasets('base2novel', PAPER_DATASETS),
            expected.get('base2novel', ()))
    if 'cross_dataset' in protocols:
        tables['table2'] = table_transfer(
            runs, seeds_of('cross_dataset'), 'cross_dataset',
            datasets('cross_dataset', XD_TARGETS, ('target', )),
            'table2_cross_dataset', 'Table 2: cross-dataset evaluation',
            expected.get('cross_dataset', ()))
    if 'domain_generalization' in protocols:
        tables['table3'] = table_transfer(
            runs, seeds_of('domain_generalization'), 'domain_generalization',
            datasets('domain_generalization', DG_TARGETS, ('target', )),
            'table3_domain_generalization',
            'Table 3: domain generalization',
            expected.get('domain_generalization', ()))
    if 'fewshot' in protocols:
        found = sorted({r['num_shots'] for r in runs
                        if r['protocol'] == 'fewshot'})
        k = sorted(shots) if shots else _ordered(
            PAPER_SHOTS, [s for s in found if s not in PAPER_SHOTS])
        tables['fewshot'] = table_fewshot(
            runs, seeds_of('fewshot'), datasets('fewshot', PAPER_DATASETS), k,
            expected.get('fewshot', ()))
    return tables


def _shots_text(run: Dict) -> str:
    shots = run.get('shots_per_class')
    if not shots:
        return 'unknown' if shots is None else '-'
    low, high = min(shots), max(shots)
    text = str(low) if low == high else f'{low}-{high}'
    if run['num_shots'] >= 1 and low < run['num_shots']:
        short = sum(n < run['num_shots'] for n in shots)
        text += f' ({short} of {len(shots)} classes below {run["num_shots"]})'
    return text


def runs_markdown(runs: List[Dict]) -> str:
    """What produced each run: backbone, weights, real shots per class,
    plugin version, data, marks."""
    lines = ['### Runs', '',
             '| setting | dataset | shots | seed | backbone | pretrained | '
             'shots per class | plugin | data | marks |',
             '|' + '---|' * 10]

    def cell(value) -> str:
        return str(value).replace('|', '\\|')

    for run in sorted(runs, key=lambda r: (r['protocol'], r['setting'],
                                           r['dataset'], r['num_shots'],
                                           r['seed'])):
        backbone = run.get('backbone', 'unknown')
        if isinstance(backbone, dict):
            backbone = 'custom config'
        pretrained = run.get('pretrained', 'unknown') \
            if 'pretrained' in run else 'unknown'
        if random_weights(run):
            pretrained = 'none (random weights)'
        data = 'unknown' if 'paper_data' not in run else (
            'paper' if run['paper_data'] else run.get('data_note') or
            'not the paper\'s')
        lines.append('| ' + ' | '.join(cell(v) for v in (
            run['setting'], run['dataset'], run['num_shots'], run['seed'],
            backbone, pretrained, _shots_text(run),
            run.get('plugin_version', 'unknown'), data,
            run_marks(run))) + ' |')
    return '\n'.join(lines) + '\n'


def main(argv=None) -> Dict[str, Table]:
    args = parse_args(argv)
    paths = find_results(args.work_dirs)
    if not paths:
        raise SystemExit(f'No results.json under {args.work_dirs}: run '
                         f'tools/run_protocol.py first.')
    runs = collect(paths)
    main_runs = [r for r in runs if not r.get('ablation')]
    tables = build_report(main_runs, args.seeds, args.shots,
                          args.only_found,
                          expected_settings(args.methods, args.configs_root))
    ablations = ablation_tables(runs, sorted(args.seeds or {
        r['seed'] for r in runs if r['protocol'] == 'base2novel'}))
    os.makedirs(args.out_dir, exist_ok=True)
    parts = [f'# Results ({len(runs)} runs)\n',
             'Expected seeds: ' + (' '.join(map(str, args.seeds))
                                   if args.seeds else 'those found per '
                                   'protocol') + '.\n']
    for table in tables.values():
        table.write(args.out_dir)
        parts.append(table.markdown())
    if ablations:
        parts.append('## HiCroPL ablations\n')
        for table in ablations.values():
            table.write(args.out_dir)
            parts.append(table.markdown())
        with open(osp.join(args.out_dir, 'ablations.md'), 'w') as f:
            f.write('\n'.join(t.markdown() for t in ablations.values()))
    parts.append(runs_markdown(runs))
    if 'table1' in tables:
        plot_base_novel(tables['table1'], tables['table1'].settings,
                        osp.join(args.out_dir, 'base_novel.png'))
    if 'fewshot' in tables:
        plot_fewshot(tables['fewshot'], tables['fewshot'].settings,
                     tables['fewshot'].shots,
                     osp.join(args.out_dir, 'fewshot.png'))
    for name in ('base2novel', 'cross_dataset', 'domain_generalization',
                 'fewshot'):
        if not any(ev['protocol'] == name for r in runs
                   for ev in r['evaluations']):
            parts.append(f'No {name} runs found.\n')
    with open(osp.join(args.out_dir, 'report.md'), 'w') as f:
        f.write('\n'.join(parts))
    print(f'{len(runs)} runs -> {args.out_dir}: '
          f'{", ".join(t.name for t in tables.values())}'
          + ''.join(f', {t.name}' for t in ablations.values()))
    tables.update(ablations)
    return tables


if __name__ == '__main__':
    from projects.hicropl.utils.cli import run_main
    run_main(main)
