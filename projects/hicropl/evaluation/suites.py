"""Named groups of datasets for ``tools/sweep.py`` (``--datasets paper``).

A dataset is the stem of a leaf config, ``configs/<method>/<protocol>/
<dataset>[_<K>shot].py``; a group is a list of such stems per protocol.
Add a group (e.g. a miniature benchmark whose leaf configs follow the same
layout) by adding an entry here: the sweep knows no dataset list itself.
"""
from typing import Dict, List

__all__ = ['SUITES', 'expand_datasets']

# The paper's eleven datasets, in its column order (config stems).
PAPER_11 = ['imagenet', 'caltech101', 'oxford_pets', 'stanford_cars',
            'oxford_flowers', 'food101', 'fgvc_aircraft', 'sun397', 'dtd',
            'eurosat', 'ucf101']

# The miniature benchmark suite of the synthetic world (world CLIP), see
# projects/hicropl/datasets/world/suite.py.
MINIATURE = ['world_objects', 'world_textures', 'world_counts']

# group -> protocol -> config stems.
SUITES: Dict[str, Dict[str, List[str]]] = {
    'paper': {
        'base2novel': PAPER_11,
        'fewshot': PAPER_11,
        # one ImageNet training, tested on the other ten / the variants
        'cross_dataset': PAPER_11,
        'domain_generalization': ['imagenetv2', 'imagenet_sketch',
                                  'imagenet_a', 'imagenet_r'],
    },
    'miniature': {
        'base2novel': ['world_objects'],
        'fewshot': MINIATURE,
        # one WorldObjects training, tested on the other two / the variants
        'cross_dataset': MINIATURE,
        'domain_generalization': ['world_objects_sketch', 'world_objects_pixel'],
    },
}


def expand_datasets(names: List[str], protocol: str) -> List[str]:
    """Config stems of ``names``: group names expand to the group's list
    for ``protocol``; other names are kept. Order kept, duplicates
    dropped."""
    out: List[str] = []
    for name in names:
        group = SUITES.get(name)
        if group is not None and protocol not in group:
            raise KeyError(f'dataset group {name!r} has no list for '
                           f'protocol {protocol!r}')
        for stem in (group[protocol] if group is not None else [name]):
            if stem not in out:
                out.append(stem)
    return out
