"""Draw scenes of the synthetic world.

A :class:`Scene` says what is in an image (``count`` objects of one shape,
colour, pattern and size on a background) and how it is drawn (``style``);
a :class:`Domain` says how the camera sees it (colour cast, contrast, noise,
blur, clutter): the downstream datasets use other domains than the
pretraining data, so that zero-shot accuracy leaves room to improve.
Images are drawn at twice the output size and downsampled (anti-aliasing).
"""
import math
from typing import List, NamedTuple, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .vocabulary import BACKGROUNDS, COLOURS


class Scene(NamedTuple):
    shape: str
    colour: str
    pattern: str = 'plain'
    size: str = 'large'
    count: int = 1
    background: str = 'grey'
    style: str = 'drawing'


class Domain(NamedTuple):
    """Camera-side changes applied after drawing (identity by default)."""
    tint: Tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel gain
    contrast: float = 1.0  # towards mid-grey below 1
    noise: float = 0.0  # std of pixel noise (0-255 scale)
    blur: float = 0.0  # Gaussian blur radius in output pixels
    clutter: int = 0  # number of distractor strokes
    jitter: float = 12.0  # per-image colour jitter of the paint (0-255)


PRETRAIN_DOMAIN = Domain(noise=4.0)

_RADIUS = {'small': (0.10, 0.13), 'large': (0.18, 0.24)}


def _shape_points(shape: str, cx: float, cy: float, r: float,
                  angle: float) -> List[Tuple[float, float]]:
    """Polygon of ``shape`` (circle and heart are sampled densely)."""
    if shape == 'circle':
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        pts = np.stack([np.cos(t), np.sin(t)], 1)
    elif shape == 'square':
        pts = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)]) * 0.82
    elif shape == 'triangle':
        pts = np.array([(0, -1), (0.95, 0.75), (-0.95, 0.75)])
    elif shape == 'diamond':
        pts = np.array([(0, -1), (0.68, 0), (0, 1), (-0.68, 0)])
    elif shape == 'hexagon':
        t = np.arange(6) * np.pi / 3
        pts = np.stack([np.cos(t), np.sin(t)], 1)
    elif shape == 'star':
        t = -np.pi / 2 + np.arange(10) * np.pi / 5
        rad = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        pts = np.stack([rad * np.cos(t), rad * np.sin(t)], 1)
    elif shape == 'cross':
        w = 0.34
        pts = np.array([(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w),
                        (w, 1), (-w, 1), (-w, w), (-1, w), (-1, -w),
                        (-w, -w)])
    elif shape == 'heart':
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        x = 16 * np.sin(t)**3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) -
              np.cos(4 * t))
        pts = np.stack([x, y + 2.5], 1) / 16.5
    else:
        raise ValueError(f'unknown shape {shape!r}')
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    pts = pts @ rot.T * r + np.array([cx, cy])
    return [tuple(p) for p in pts]


def _secondary(rgb: np.ndarray) -> np.ndarray:
    """The second tone of a pattern: darker for light paint, lighter for
    dark paint."""
    if rgb.mean() > 110:
        return rgb * 0.35
    return rgb + (255 - rgb) * 0.6


def _pattern_texture(pattern: str, rgb: np.ndarray, s: int,
                     rng: np.random.Generator) -> np.ndarray:
    """An ``(s, s, 3)`` float texture of ``pattern`` in paint ``rgb``."""
    tex = np.broadcast_to(rgb, (s, s, 3)).astype(np.float32).copy()
    if pattern == 'plain':
        return tex
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    period = s * rng.uniform(0.075, 0.095)
    if pattern == 'striped':
        theta = rng.choice([0.0, np.pi / 4, np.pi / 2, -np.pi / 4])
        u = xx * math.cos(theta) + yy * math.sin(theta) + rng.uniform(0, s)
        mask = (u % period) < period / 2
    elif pattern == 'dotted':
        ox, oy = rng.uniform(0, period, 2)
        dx = (xx + ox) % period - period / 2
        dy = (yy + oy) % period - period / 2
        mask = dx * dx + dy * dy < (period * 0.3)**2
    elif pattern == 'checkered':
        ox, oy = rng.uniform(0, period, 2)
        mask = ((np.floor((xx + ox) / (period * 0.75)) +
                 np.floor((yy + oy) / (period * 0.75))) % 2) == 0
    else:
        raise ValueError(f'unknown pattern {pattern!r}')
    tex[mask] = _secondary(rgb)
    return tex


def _background(scene: Scene, s: int, rng: np.random.Generator) -> np.ndarray:
    if scene.style == 'sketch':
        paper = rng.uniform(225, 250)
        return np.full((s, s, 3), paper, np.float32)
    low, high = (np.array(v, np.float32) for v in BACKGROUNDS[scene.background])
    base = low + rng.uniform() * (high - low) + rng.uniform(-6, 6, 3)
    ramp = np.linspace(-1, 1, s, dtype=np.float32)[:, None, None]
    bg = base + ramp * rng.uniform(-18, 18) + np.zeros((s, s, 3), np.float32)
    if scene.style == 'photo':  # soft texture
        coarse = rng.normal(0, 10, (8, 8, 3)).astype(np.float32)
        bg += np.asarray(
            Image.fromarray(coarse[..., 0] + 128).resize((s, s),
                                                          Image.BICUBIC),
            np.float32)[..., None] - 128
    return bg


def _place(scene: Scene, s: int,
           rng: np.random.Generator) -> List[Tuple[float, float, float]]:
    """Centres and radii of the objects, kept apart when possible."""
    lo, hi = _RADIUS[scene.size]
    if scene.count > 1 and scene.size == 'large':
        lo, hi = lo * 0.8, hi * 0.8
    placed = []
    for _ in range(scene.count):
        r = rng.uniform(lo, hi) * s
        for _ in range(50):
            cx, cy = rng.uniform(r + 1, s - r - 1, 2)
            if all(math.hypot(cx - x, cy - y) > (r + q) * 1.05
                   for x, y, q in placed):
                break
        placed.append((cx, cy, r))
    return placed


def render_scene(scene: Scene,
                 rng: np.random.Generator,
                 size: int = 64,
                 domain: Domain = PRETRAIN_DOMAIN) -> Image.Image:
    """Draw ``scene`` as a ``size`` x ``size`` RGB image."""
    s = 2 * size
    canvas = _background(scene, s, rng)
    paint = np.clip(
        np.array(COLOURS[scene.colour], np.float32) +
        rng.normal(0, domain.jitter, 3), 0, 255)
    texture = _pattern_texture(scene.pattern, paint, s, rng)
    mask_img = Image.new('L', (s, s), 0)
    line_img = Image.new('L', (s, s), 0)
    mask_draw, line_draw = ImageDraw.Draw(mask_img), ImageDraw.Draw(line_img)
    shadow_img = Image.new('L', (s, s), 0)
    shadow_draw = ImageDraw.Draw(shadow_img)
    for cx, cy, r in _place(scene, s, rng):
        angle = rng.uniform(-0.2, 0.2)
        pts = _shape_points(scene.shape, cx, cy, r, angle)
        mask_draw.polygon(pts, fill=255)
        line_draw.line(pts + [pts[0]], fill=255, width=max(2, s // 48))
        off = s * 0.02
        shadow_draw.polygon([(x + off, y + off) for x, y in pts], fill=255)
    mask = np.asarray(mask_img, np.float32)[..., None] / 255
    line = np.asarray(line_img, np.float32)[..., None] / 255
    if scene.style == 'sketch':
        # faint fill (pattern visible) and a strong coloured outline
        canvas = canvas * (1 - 0.35 * mask) + texture * 0.35 * mask
        canvas = canvas * (1 - line) + paint * line
    else:
        if scene.style == 'photo':
            shadow = np.asarray(
                shadow_img.filter(ImageFilter.GaussianBlur(s * 0.02)),
                np.float32)[..., None] / 255
            canvas = canvas * (1 - 0.45 * shadow)
            yy = np.linspace(1.15, 0.8, s, dtype=np.float32)[:, None, None]
            texture = texture * yy
        canvas = canvas * (1 - mask) + texture * mask
        if scene.style == 'drawing':
            canvas = canvas * (1 - line) + paint * 0.4 * line
    img = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8), 'RGB')
    if scene.style == 'pixel':
        img = img.resize((size // 3, size // 3), Image.BILINEAR).resize(
            (size, size), Image.NEAREST)
    else:
        img = img.resize((size, size), Image.LANCZOS)
    return _apply_domain(img, domain, rng)


def _apply_domain(img: Image.Image, domain: Domain,
                  rng: np.random.Generator) -> Image.Image:
    if domain.clutter:
        draw = ImageDraw.Draw(img)
        w, h = img.size
        for _ in range(domain.clutter):
            x0, y0 = rng.uniform(0, w, 2)
            x1, y1 = np.array([x0, y0]) + rng.normal(0, w * 0.15, 2)
            tone = tuple(int(v) for v in rng.integers(0, 256, 3))
            draw.line([(x0, y0), (x1, y1)], fill=tone, width=1)
    if domain.blur:
        img = img.filter(ImageFilter.GaussianBlur(domain.blur))
    arr = np.asarray(img, np.float32)
    arr = (arr - 128) * domain.contrast + 128
    arr = arr * np.array(domain.tint, np.float32)
    if domain.noise:
        arr = arr + rng.normal(0, domain.noise, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), 'RGB')
