"""Datasets of the CoOp-family benchmarks and the generated demo dataset.

Importing this package registers every dataset in
``mmpretrain.registry.DATASETS``.
"""
from .benchmarks import (CoOpCaltech101, CoOpDescribableTextures, CoOpEuroSAT,
                         CoOpFood101, CoOpOxfordFlowers, CoOpOxfordPets,
                         CoOpStanfordCars, CoOpSUN397, CoOpUCF101)
from .coop_dataset import CoOpDataset, DatasetNotFoundError
from .demo import HiCroPLDemoDataset, prepare_demo_dataset
from .fewshot import (Datum, generate_fewshot, get_classnames, get_num_classes,
                      sample_fewshot_splits, subsample_classes)
from .fgvc_aircraft import CoOpFGVCAircraft
from .folder import CoOpImageFolder, make_split, scan_class_folders
from .transforms import ImageLoadError, SafeLoadImageFromFile
from .wrappers import FaultTolerantDataset
from .world_suite import WorldDataset
from .imagenet import (CoOpImageNet, CoOpImageNetA, CoOpImageNetR,
                       CoOpImageNetSketch, CoOpImageNetV2)

__all__ = [
    'CoOpDataset', 'DatasetNotFoundError', 'CoOpCaltech101', 'CoOpOxfordPets',
    'CoOpStanfordCars', 'CoOpOxfordFlowers', 'CoOpFood101', 'CoOpFGVCAircraft',
    'CoOpSUN397', 'CoOpDescribableTextures', 'CoOpEuroSAT', 'CoOpUCF101',
    'CoOpImageNet', 'CoOpImageNetV2', 'CoOpImageNetSketch', 'CoOpImageNetA',
    'CoOpImageNetR', 'HiCroPLDemoDataset', 'prepare_demo_dataset', 'Datum',
    'generate_fewshot', 'sample_fewshot_splits', 'subsample_classes',
    'get_classnames', 'get_num_classes', 'CoOpImageFolder', 'make_split',
    'scan_class_folders', 'WorldDataset'
]
