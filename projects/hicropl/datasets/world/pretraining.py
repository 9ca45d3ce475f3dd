"""Pretraining data of the world CLIP: random scenes in every style, drawn
once into a uint8 array, captioned anew at every visit."""
from typing import List, Tuple

import numpy as np

from .render import PRETRAIN_DOMAIN, Scene, render_scene
from .vocabulary import BACKGROUNDS, COLOURS, PATTERNS, SHAPES, SIZES, STYLES


def sample_scene(rng: np.random.Generator) -> Scene:
    """A uniformly random scene (every attribute independent)."""
    return Scene(
        shape=str(rng.choice(list(SHAPES))),
        colour=str(rng.choice(list(COLOURS))),
        pattern=str(rng.choice(list(PATTERNS))),
        size=str(rng.choice(SIZES)),
        count=int(rng.integers(1, 4)),
        background=str(rng.choice(list(BACKGROUNDS))),
        style=str(rng.choice(list(STYLES))))


def render_pretraining_set(num_images: int, image_size: int,
                           seed: int) -> Tuple[np.ndarray, List[Scene]]:
    """``num_images`` random scenes and their images, ``(N, H, W, 3)``
    uint8, fully determined by ``seed``."""
    rng = np.random.default_rng(seed)
    scenes = [sample_scene(rng) for _ in range(num_images)]
    images = np.empty((num_images, image_size, image_size, 3), np.uint8)
    for i, scene in enumerate(scenes):
        images[i] = np.asarray(
            render_scene(scene, rng, image_size, PRETRAIN_DOMAIN))
    return images, scenes
