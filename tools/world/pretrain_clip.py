#!/usr/bin/env python
"""Pretrain the world CLIP: a small open_clip CLIP trained contrastively on
images and captions of the procedural world.

Uses open_clip's own model class and loss (``open_clip.model.CLIP``,
``open_clip.loss.ClipLoss``) and the real CLIP tokenizer; the architecture
comes from ``configs/_base_/world_clip.py``. Everything is determined by
``--seed``: the scenes, their images, the captions, the initialisation and
the batch order (the result can still differ in the last bits between
machines and thread counts).

Writes ``--out`` (an fp16 open_clip state dict, which
``model.backbone.pretrained=<file>`` loads), ``<out>.sha256`` and the
training curve ``--curve`` (JSON: step, loss, lr, probe accuracy).

Example (the command that made the shipped weights; see docs/world_clip.md)::

    python tools/world/pretrain_clip.py \\
        --out checkpoints/world_clip/world_clip_vit-t8-48px.pt
"""
import argparse
import hashlib
import io
import json
import math
import os
import os.path as osp
import sys
import time

import numpy as np
import open_clip
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config  # noqa: E402

from projects.hicropl.datasets.world import (Domain, Scene,  # noqa: E402
                                             caption, render_scene)
from projects.hicropl.datasets.world.captions import \
    shape_caption  # noqa: E402
from projects.hicropl.datasets.world.pretraining import \
    render_pretraining_set  # noqa: E402
from projects.hicropl.datasets.world.vocabulary import (COLOURS,  # noqa: E402
                                                        SHAPES)
from projects.hicropl.models.classifiers.prompt_clip import (  # noqa: E402
    CLIP_MEAN, CLIP_STD)

ARCH_CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'world_clip.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='weights file to write')
    parser.add_argument('--curve', help='training curve JSON '
                        '(default: <out without .pt>_curve.json)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--images', type=int, default=40000,
                        help='distinct pretraining images')
    parser.add_argument('--steps', type=int, default=1500)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--weight-decay', type=float, default=0.1)
    parser.add_argument('--warmup', type=int, default=100)
    parser.add_argument('--colours-per-batch', type=int, default=0,
                        help='draw each batch from the images of this many '
                        'random colours (0: from all)')
    parser.add_argument('--shape-caption-steps', type=int, default=600,
                        help='for the first N steps every caption names only '
                        'the shape ("a photo of a star."): only shape can '
                        'match those, so the CLIP learns shapes before the '
                        'easier attributes of the full captions')
    parser.add_argument('--probe-every', type=int, default=100)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (default 1: the same '
                        'summation order, hence the same weights, on every '
                        'run of one machine)')
    return parser.parse_args(argv)


def normalise(images: np.ndarray) -> torch.Tensor:
    """uint8 ``(N, H, W, 3)`` -> CLIP-normalised float ``(N, 3, H, W)``."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def build_probe(image_size: int, seed: int):
    """Zero-shot probe: colour x shape classes, 4 drawings each."""
    rng = np.random.default_rng(seed + 7919)
    names, images, labels = [], [], []
    for colour in COLOURS:
        for shape in SHAPES:
            label = len(names)
            names.append(f'{colour} {shape}')
            for _ in range(4):
                scene = Scene(shape=shape, colour=colour,
                              background=str(rng.choice(['grey', 'sky', 'sand'])),
                              style='photo', size='large')
                images.append(np.asarray(render_scene(
                    scene, rng, image_size, Domain(noise=4.0))))
                labels.append(label)
    return normalise(np.stack(images)), torch.tensor(labels), names


@torch.no_grad()
def probe_accuracy(model, tokenizer, probe) -> float:
    images, labels, names = probe
    model.eval()
    text = model.encode_text(
        tokenizer([f'a photo of a {n}.' for n in names]), normalize=True)
    feats = model.encode_image(images, normalize=True)
    model.train()
    return (feats @ text.t()).argmax(1).eq(labels).float().mean().item()


def sample_batch(rng, by_colour, batch_size, colours_per_batch):
    """Indices of one batch, without replacement, from the images of
    ``colours_per_batch`` random colours (all colours for 0)."""
    names = list(by_colour)
    if colours_per_batch:
        names = [names[i] for i in rng.choice(
            len(names), colours_per_batch, replace=False)]
    pool = np.concatenate([by_colour[c] for c in names])
    return rng.choice(pool, batch_size, replace=False)


def batch_captions(scenes, idx, step: int, shape_caption_steps: int,
                   rng) -> list:
    """The captions of one batch: shape-only ones for the first
    ``shape_caption_steps`` steps (a curriculum), then full random ones."""
    if step <= shape_caption_steps:
        return [shape_caption(scenes[i]) for i in idx]
    return [caption(scenes[i], rng) for i in idx]


def save_weights(state_dict, out: str) -> str:
    """Write ``state_dict`` in fp16 to ``out`` (atomically) and its
    sha256 to ``<out>.sha256``; returns the digest. Serialised through a
    buffer, so that the bytes depend on the tensors only (a file name would
    be recorded in the archive)."""
    buffer = io.BytesIO()
    torch.save({k: v.half() for k, v in state_dict.items()}, buffer)
    data = buffer.getvalue()
    tmp = out + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, out)
    digest = hashlib.sha256(data).hexdigest()
    with open(out + '.sha256', 'w') as f:
        f.write(f'{digest}  {osp.basename(out)}\n')
    return digest


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        # as open_clip's training script: no decay on gains, biases,
        # embeddings and the temperature
        if p.ndim < 2 or 'embedding' in name or 'logit_scale' in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [dict(params=no_decay, weight_decay=0.0),
            dict(params=decay, weight_decay=weight_decay)]


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    curve_path = args.curve or osp.splitext(args.out)[0] + '_curve.json'
    arch = Config.fromfile(ARCH_CONFIG).world_clip_arch.to_dict()
    arch.pop('_delete_', None)
    image_size = arch['vision_cfg']['image_size']
    start = time.time()
    images, scenes = render_pretraining_set(args.images, image_size, args.seed)
    print(f'rendered {len(scenes)} images in {time.time() - start:.0f} s',
          flush=True)

    torch.manual_seed(args.seed)
    model = open_clip.model.CLIP(**arch)
    tokenizer = open_clip.SimpleTokenizer(
        context_length=arch['text_cfg']['context_length'])
    loss_fn = open_clip.loss.ClipLoss()
    optimizer = torch.optim.AdamW(
        param_groups(model, args.weight_decay), lr=args.lr,
        betas=(0.9, 0.98), eps=1e-6)
    probe = build_probe(image_size, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    curve = []
    by_colour = {c: np.array([i for i, sc in enumerate(scenes)
                              if sc.colour == c]) for c in COLOURS}
    for step in range(1, args.steps + 1):
        lr = args.lr * (step / args.warmup if step <= args.warmup else 0.5 * (
            1 + math.cos(math.pi * (step - args.warmup) /
                         (args.steps - args.warmup))))
        for group in optimizer.param_groups:
            group['lr'] = lr
        idx = sample_batch(rng, by_colour, args.batch_size,
                           args.colours_per_batch)
        batch = images[idx]
        flip = rng.random(len(idx)) < 0.5
        batch[flip] = batch[flip, :, ::-1]
        texts = tokenizer(batch_captions(scenes, idx, step,
                                         args.shape_caption_steps, rng))
        image_features, text_features, logit_scale = model(
            normalise(batch), texts)
        loss = loss_fn(image_features, text_features, logit_scale)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        entry = dict(step=step, loss=round(loss.item(), 4), lr=lr)
        if step % args.probe_every == 0 or step == args.steps:
            entry['probe_acc'] = round(probe_accuracy(model, tokenizer, probe), 4)
            entry['elapsed_s'] = round(time.time() - start, 1)
            print(json.dumps(entry), flush=True)
        curve.append(entry)

    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    digest = save_weights(model.state_dict(), args.out)
    with open(curve_path, 'w') as f:
        json.dump(dict(args=vars(args), arch=arch, seconds=time.time() - start,
                       torch=torch.__version__, curve=curve), f)
    print(f'wrote {args.out} (sha256 {digest}) in {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
