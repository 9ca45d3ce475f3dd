"""Captions of scenes (pretraining text) and descriptions of classes.

Captions name a random subset of a scene's attributes with varied
templates, so that the text tower learns each attribute word on its own
and in combination; the colour and shape are always named.
:func:`shape_caption` names the shape alone (a pretraining curriculum:
``tools/world/pretrain_clip.py --shape-caption-steps``).
"""
from typing import List

import numpy as np

from .render import Scene
from .vocabulary import PATTERNS, STYLES, article, count_phrase


def object_phrase(scene: Scene, rng: np.random.Generator,
                  p_size: float = 0.5, p_pattern: float = 0.7) -> str:
    """e.g. 'two small red striped stars' or 'a blue circle'."""
    det, noun = count_phrase(scene.count, scene.shape)
    words = []
    if rng.random() < p_size:
        words.append(scene.size)
    words.append(scene.colour)
    if PATTERNS[scene.pattern] and rng.random() < p_pattern:
        words.append(PATTERNS[scene.pattern])
    words.append(noun)
    if det == 'a':
        det = article(words[0])
    return ' '.join([det] + words)


_TEMPLATES = (
    '{style} {obj}.',
    '{style} {obj} on a {bg} background.',
    '{obj} on a {bg} background.',
    '{obj}.',
    'there {be} {obj} in the picture.',
    'this image shows {obj}.',
    '{style} {obj}, {bg} background.',
    'look at {obj}!',
)


def caption(scene: Scene, rng: np.random.Generator) -> str:
    """One caption of ``scene`` from a random template."""
    template = _TEMPLATES[rng.integers(len(_TEMPLATES))]
    bg = 'white paper' if scene.style == 'sketch' else scene.background
    if scene.style == 'sketch' and '{bg}' in template:
        template = '{style} {obj} on white paper.'
    return template.format(
        style=STYLES[scene.style],
        obj=object_phrase(scene, rng),
        bg=bg,
        be='is' if scene.count == 1 else 'are')


def shape_caption(scene: Scene) -> str:
    """A caption that names only the shape (plural for several objects):
    'a photo of a star.', 'a photo of crosses.'.

    A CLIP trained from scratch on :func:`caption` alone learns the easy
    attributes (colour, background, count) and hardly any shape; starting
    with these captions, which only shape can match, makes it learn shapes
    (docs/world_clip.md)."""
    _, noun = count_phrase(scene.count, scene.shape)
    if scene.count == 1:
        return f'a photo of {article(noun)} {noun}.'
    return f'a photo of {noun}.'


def describe(words: List[str], kind: str) -> List[str]:
    """Class descriptions in the authors' format (several short sentences
    per class) for a class named by ``words``."""
    name = ' '.join(words)
    sentences = {
        'object': [
            f'a {name} is a {words[-1]} shape painted {words[0]}.',
            f'a {name} looks like a {words[0]} coloured {words[-1]}.',
            f'the {words[-1]} in the picture is {words[0]}.',
            f'a picture of a {name}, drawn in {words[0]}.',
        ],
        'texture': [
            f'{name} is a {words[-1]} pattern in {words[0]}.',
            f'a surface with {name}.',
            f'{words[0]} shapes covered in a {words[-1]} pattern.',
            f'the paint shows {name}.',
        ],
        'count': [
            f'{name} in the picture.',
            f'exactly {words[0]} {words[-1]} are visible.',
            f'a picture that shows {name}.',
            f'counting the {words[-1]} gives {words[0]}.',
        ],
    }[kind]
    return sentences
