#!/usr/bin/env python
"""Plot the training curve of the world CLIP (loss and zero-shot probe
accuracy per step) from the JSON that ``tools/world/pretrain_clip.py``
writes.

Example::

    python tools/world/plot_curve.py docs/world_clip/training_curve.json \\
        docs/world_clip/training_curve.png
"""
import argparse
import json
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.utils.cli import run_main  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('curve', help='training curve JSON')
    parser.add_argument('out', help='PNG to write')
    args = parser.parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    with open(args.curve) as f:
        curve = json.load(f)['curve']
    fig, loss_ax = plt.subplots(figsize=(7, 3.5))
    loss_ax.plot([e['step'] for e in curve], [e['loss'] for e in curve],
                 lw=0.6, color='tab:blue')
    loss_ax.set_xlabel('step')
    loss_ax.set_ylabel('contrastive loss', color='tab:blue')
    probe = [e for e in curve if 'probe_acc' in e]
    acc_ax = loss_ax.twinx()
    acc_ax.plot([e['step'] for e in probe],
                [100 * e['probe_acc'] for e in probe], 'o-', color='tab:red')
    acc_ax.set_ylabel('zero-shot probe accuracy, %', color='tab:red')
    acc_ax.set_ylim(0, 100)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    run_main(main)
