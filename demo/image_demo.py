#!/usr/bin/env python
"""Classify images among any class names with a prompt-learned CLIP.

Prints the top-k classes of each image; optionally draws the image and its
top-k bars into a PNG::

    python demo/image_demo.py configs/hicropl/hicropl_demo.py \\
        work_dirs/hicropl_demo/epoch_10.pth img1.jpg img2.jpg \\
        --classnames "zebra,tiger,red fox" --templates "a photo of a {}." \\
        --topk 3 --out-png pred.png

Classes default to those stored in the checkpoint. ``--classnames`` takes
comma-separated names or a text file with one name per line; their frozen
text features come from ``--descriptions`` (a JSON ``{"class name":
["sentence", ...]}``; classes it lacks use a template) or ``--templates``, or
else from the config's description file with a template for classes it
lacks.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import numpy as np  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Open-vocabulary image classification (top-k table, '
        'optional PNG).')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('images', nargs='+', help='image file(s)')
    parser.add_argument(
        '--classnames',
        help='comma-separated class names, or a text file with one per '
        'line (default: the checkpoint\'s classes)')
    parser.add_argument(
        '--descriptions', help='class-description JSON for the classes')
    parser.add_argument(
        '--templates',
        nargs='+',
        help='prompt template(s) with {} for the frozen class text, e.g. '
        '"a photo of a {}."')
    parser.add_argument('--topk', type=int, default=5, help='classes shown')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument(
        '--out-png',
        help='draw the image and its top-k bars into this PNG (several '
        'images: <stem>_<image name>.png)')
    return parser.parse_args(argv)


def top_k(result: Dict, classes: Sequence[str], k: int) -> List[tuple]:
    """``[(class, score), ...]`` of the ``k`` best classes."""
    scores = np.asarray(result['pred_scores'])
    order = np.argsort(-scores, kind='stable')[:k]
    return [(classes[i], float(scores[i])) for i in order]


def format_table(image: str, rows: Sequence[tuple]) -> str:
    width = max([len('class')] + [len(c) for c, _ in rows])
    lines = [image, f'  {"rank":<5} {"class":<{width}}  score']
    lines += [
        f'  {rank:<5} {name:<{width}}  {score * 100:6.2f}%'
        for rank, (name, score) in enumerate(rows, 1)
    ]
    return '\n'.join(lines)


def draw_png(image_path: str, rows: Sequence[tuple], out_file: str) -> None:
    """The image (left) and one bar per top-k class (right), with Pillow."""
    from PIL import Image, ImageDraw, ImageFont
    height, bar_width, pad = 256, 320, 12
    image = Image.open(image_path).convert('RGB')
    image = image.resize(
        (max(1, round(image.width * height / image.height)), height))
    font = ImageFont.load_default(size=14)
    row_height = (height - 2 * pad) / max(len(rows), 1)
    label_width = max(
        [ImageDraw.Draw(image).textlength(name, font=font)
         for name, _ in rows] + [40])
    canvas = Image.new(
        'RGB', (image.width + int(label_width) + bar_width + 5 * pad, height),
        'white')
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    left = image.width + pad
    bar_left = left + label_width + pad
    for i, (name, score) in enumerate(rows):
        top = pad + i * row_height
        middle = top + row_height / 2
        draw.text((left, middle), name, fill='black', font=font, anchor='lm')
        bar = max(1, round(score * bar_width))
        draw.rectangle(
            (bar_left, top + row_height * 0.2, bar_left + bar,
             top + row_height * 0.8),
            fill=(66, 133, 244) if i == 0 else (160, 190, 240))
        draw.text((bar_left + bar + 4, middle), f'{score * 100:.1f}%',
                  fill='black', font=font, anchor='lm')
    canvas.save(out_file)


def png_name(out_png: str, image: str, several: bool) -> str:
    if not several:
        return out_png
    stem = out_png[:-4] if out_png.endswith('.png') else out_png
    return f'{stem}_{osp.splitext(osp.basename(image))[0]}.png'


def main(argv=None) -> List[List[tuple]]:
    args = parse_args(argv)
    from projects.hicropl.apis import OpenVocabularyInferencer
    inferencer = OpenVocabularyInferencer(
        args.config,
        pretrained=args.checkpoint,
        device=args.device,
        classnames=args.classnames,
        descriptions=args.descriptions,
        templates=args.templates)
    results = inferencer(args.images, batch_size=args.batch_size)
    k = min(args.topk, len(inferencer.classes))
    tables = []
    for image, result in zip(args.images, results):
        rows = top_k(result, inferencer.classes, k)
        tables.append(rows)
        print(format_table(image, rows))
        if args.out_png:
            out = png_name(args.out_png, image, len(args.images) > 1)
            draw_png(image, rows, out)
            print(f'  -> {out}')
    return tables


if __name__ == '__main__':
    main()
