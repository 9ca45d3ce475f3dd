"""The attributes of the synthetic world: what its objects can be and how
they are named in plain English (read by the real CLIP tokenizer)."""
from typing import Dict, Tuple

# Colour name -> RGB of the object's paint.
COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (215, 35, 35),
    'orange': (245, 135, 25),
    'yellow': (240, 220, 40),
    'green': (40, 170, 60),
    'blue': (40, 80, 220),
    'purple': (125, 55, 185),
    'pink': (250, 140, 185),
    'brown': (125, 80, 40),
    'white': (245, 245, 245),
    'black': (20, 20, 20),
}

# Shape name -> its plural; the geometry lives in render.py.
SHAPES: Dict[str, str] = {
    'circle': 'circles',
    'square': 'squares',
    'triangle': 'triangles',
    'star': 'stars',
    'heart': 'hearts',
    'cross': 'crosses',
    'diamond': 'diamonds',
    'hexagon': 'hexagons',
}

# Pattern name -> adjective used in captions ('' for plain paint).
PATTERNS: Dict[str, str] = {
    'plain': '',
    'striped': 'striped',
    'dotted': 'dotted',
    'checkered': 'checkered',
}

SIZES = ('small', 'large')
COUNTS = {1: 'one', 2: 'two', 3: 'three'}

# Background name -> (low, high) RGB range of its base colour.
BACKGROUNDS: Dict[str, Tuple[Tuple[int, int, int], Tuple[int, int, int]]] = {
    'grey': ((110, 110, 110), (150, 150, 150)),
    'dark': ((10, 10, 20), (50, 50, 60)),
    'light': ((200, 200, 190), (235, 235, 230)),
    'sky': ((120, 170, 220), (160, 200, 240)),
    'sand': ((190, 165, 120), (220, 195, 150)),
}

# Rendering styles (how a scene is drawn) and how captions name them.
STYLES: Dict[str, str] = {
    'drawing': 'a drawing of',
    'photo': 'a photo of',
    'sketch': 'a sketch of',
    'pixel': 'a pixel art image of',
}


def count_phrase(count: int, shape: str) -> Tuple[str, str]:
    """``('a', 'circle')`` or ``('two', 'circles')``."""
    if count == 1:
        return 'a', shape
    return COUNTS[count], SHAPES[shape]


def article(word: str) -> str:
    """'an' before a vowel sound, else 'a'."""
    return 'an' if word[0] in 'aeiou' else 'a'
