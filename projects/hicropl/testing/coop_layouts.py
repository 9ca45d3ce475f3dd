"""Miniature CoOp-layout datasets written to disk (tests and examples)."""
import json
from pathlib import Path
from typing import Dict, List

from PIL import Image


def write_image(path: Path, value: int = 128, size=(12, 10)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (value, 255 - value, 60)).save(path)


def write_split(root: Path, name: str, image_dir: str,
                split: Dict[str, List[list]]) -> None:
    """Write a split file in CoOp format and every image it names."""
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(json.dumps(split))
    for items in split.values():
        for impath, label, _ in items:
            write_image(root / image_dir / impath, value=20 * label)



PETS = [('abyssinian', 'Abyssinian'), ('american_pit_bull_terrier',
                                       'american_pit_bull_terrier'),
        ('bengal', 'Bengal'), ('pug', 'pug'), ('sphynx', 'Sphynx')]


def make_pets(root: Path, n_train=6, n_val=5, n_test=2) -> dict:
    """oxford_pets: flat images/<Breed>_<n>.jpg, names lower-cased."""
    split = {'train': [], 'val': [], 'test': []}
    i = 0
    for key, n in (('train', n_train), ('val', n_val), ('test', n_test)):
        for k in range(n):  # classes interleaved, as in real splits
            for label, (name, stem) in enumerate(PETS):
                i += 1
                split[key].append([f'{stem}_{i}.jpg', label, name])
    write_split(root, 'split_zhou_OxfordPets.json', 'images', split)
    return split
