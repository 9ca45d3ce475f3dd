#!/usr/bin/env python
"""Copy the results of finished runs into a folder kept with the report.

Copies every ``results.json`` under ``WORK_ROOT`` to the same relative
place under ``DEST`` (``<method>/<protocol>/<dataset>/seed<N>/``), with the
paths they record made portable: configs inside this checkout relative to
it, the work directory relative to ``WORK_ROOT``. The miniature paper keeps
them in ``docs/miniature/runs``, so its tables can be made again from the
repository alone::

    python tools/analysis/report.py docs/miniature/runs --out-dir docs/miniature

Runs already in ``DEST`` but not under ``WORK_ROOT`` are kept.

Example::

    python tools/world/collect_runs.py work_dirs/miniature docs/miniature/runs
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.errors import UserError  # noqa: E402
from projects.hicropl.evaluation.results import (RESULTS_FILE,  # noqa: E402
                                                 find_results)
from projects.hicropl.utils.cli import run_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_root', help='folder of the runs (the sweep\'s '
                        '--work-root)')
    parser.add_argument('dest', help='folder to copy the results into')
    return parser.parse_args(argv)


def _in_checkout(path: str, repo_root: str = REPO_ROOT) -> str:
    """``path`` relative to the checkout when it lies inside it."""
    if not path or not osp.isabs(path):
        return path
    rel = osp.relpath(path, repo_root)
    return path if rel.startswith('..') else rel


def portable(record: Dict, run_dir: str, repo_root: str = REPO_ROOT) -> Dict:
    """``record`` with its config paths relative to the checkout and its
    work directory set to ``run_dir`` (the run's place under the work
    root)."""
    record = dict(record)
    record['config'] = _in_checkout(record.get('config'), repo_root)
    record['work_dir'] = run_dir
    record['evaluations'] = [
        dict(e, config=_in_checkout(e.get('config'), repo_root))
        for e in record.get('evaluations', [])
    ]
    return record


def collect(work_root: str, dest: str, repo_root: str = REPO_ROOT) -> int:
    """Copy every run's results from ``work_root`` into ``dest``; returns
    how many."""
    work_root = osp.abspath(work_root)
    paths = find_results([work_root])
    for path in paths:
        run_dir = osp.relpath(osp.dirname(path), work_root)
        with open(path) as f:
            record = json.load(f)
        out = osp.join(dest, run_dir, RESULTS_FILE)
        os.makedirs(osp.dirname(out), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(portable(record, run_dir, repo_root), f, indent=2)
            f.write('\n')
    return len(paths)


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.work_root):
        raise UserError(f'{args.work_root} is not a folder: give the work '
                        'root of the runs (tools/sweep.py --work-root).')
    count = collect(args.work_root, args.dest)
    print(f'{count} run(s) from {args.work_root} -> {args.dest}')


if __name__ == '__main__':
    run_main(main)
