"""The CoOp benchmarks read from a ``split_zhou_<Name>.json`` split file.

Each class only fixes the folder layout of the authors' code (CoOp's
``datasets/<name>.py``); labels and class names come verbatim from the
official split files linked in CoOp's DATASETS.md. ``data_root`` is the
dataset's own folder, i.e. ``<CoOp root>/<DIRNAME>``.
"""
from mmpretrain.registry import DATASETS
from .coop_dataset import CoOpDataset


@DATASETS.register_module()
class CoOpCaltech101(CoOpDataset):
    """Caltech101 as in CoOp (100 classes; ``BACKGROUND_Google`` and
    ``Faces_easy`` are not in the split).

    Dataset directory: ::

        caltech-101
        ├── 101_ObjectCategories
        │   ├── accordion
        │   │   ├── image_0001.jpg
        │   │   └── ...
        │   └── ...
        └── split_zhou_Caltech101.json

    Labels are the sorted (case-sensitive) folder positions; the split's
    names rename four folders (``airplanes`` -> ``airplane``, ``Faces`` ->
    ``face``, ``Leopards`` -> ``leopard``, ``Motorbikes`` -> ``motorbike``)
    and keep underscores elsewhere (``car_side``).

    Args:
        data_root: The ``caltech-101`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'Caltech101'
    DIRNAME = 'caltech-101'
    EXPECTED_SIZES = dict(
        classes=100, train=4_128, val=1_649, test=2_465)
    SPLIT_FILE = 'split_zhou_Caltech101.json'
    IMAGE_DIR = '101_ObjectCategories'
    DESCRIPTION_FILE = 'caltech_prompt.json'


@DATASETS.register_module()
class CoOpOxfordPets(CoOpDataset):
    """Oxford-IIIT Pets as in CoOp (37 classes).

    Dataset directory: ::

        oxford_pets
        ├── images
        │   ├── Abyssinian_1.jpg
        │   └── ...
        ├── annotations            (not read)
        └── split_zhou_OxfordPets.json

    Class names are the lower-cased image stems without the trailing
    ``_<n>`` (``american_pit_bull_terrier``).

    Args:
        data_root: The ``oxford_pets`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'OxfordPets'
    DIRNAME = 'oxford_pets'
    EXPECTED_SIZES = dict(
        classes=37, train=2_944, val=736, test=3_669)
    SPLIT_FILE = 'split_zhou_OxfordPets.json'
    IMAGE_DIR = 'images'
    DESCRIPTION_FILE = 'oxford_pets_prompt.json'


@DATASETS.register_module()
class CoOpStanfordCars(CoOpDataset):
    """Stanford Cars as in CoOp (196 classes).

    Dataset directory (split paths are relative to the dataset folder
    itself, e.g. ``cars_train/00001.jpg``): ::

        stanford_cars
        ├── cars_train
        │   ├── 00001.jpg
        │   └── ...
        ├── cars_test
        │   ├── 00001.jpg
        │   └── ...
        ├── devkit                 (not read)
        └── split_zhou_StanfordCars.json

    Class names put the year first (``2000 AM General Hummer SUV``) and may
    contain ``/``, ``.`` and ``-``.

    Args:
        data_root: The ``stanford_cars`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'StanfordCars'
    DIRNAME = 'stanford_cars'
    EXPECTED_SIZES = dict(
        classes=196, train=6_509, val=1_635, test=8_041)
    SPLIT_FILE = 'split_zhou_StanfordCars.json'
    IMAGE_DIR = ''
    DESCRIPTION_FILE = 'stanford_cars_prompt.json'


@DATASETS.register_module()
class CoOpOxfordFlowers(CoOpDataset):
    """Oxford Flowers-102 as in CoOp (102 classes).

    Dataset directory: ::

        oxford_flowers
        ├── jpg
        │   ├── image_00001.jpg
        │   └── ...
        ├── imagelabels.mat        (not read)
        ├── cat_to_name.json       (not read; names are in the split)
        └── split_zhou_OxfordFlowers.json

    Class names are lower case with spaces, hyphens and apostrophes
    (``colt's foot``).

    Args:
        data_root: The ``oxford_flowers`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'OxfordFlowers'
    DIRNAME = 'oxford_flowers'
    EXPECTED_SIZES = dict(
        classes=102, train=4_093, val=1_633, test=2_463)
    SPLIT_FILE = 'split_zhou_OxfordFlowers.json'
    IMAGE_DIR = 'jpg'
    DESCRIPTION_FILE = 'oxford_flowers_prompt.json'


@DATASETS.register_module()
class CoOpFood101(CoOpDataset):
    """Food-101 as in CoOp (101 classes; CoOp's split, not ``meta/``).

    Dataset directory: ::

        food-101
        ├── images
        │   ├── apple_pie
        │   │   ├── 1005649.jpg
        │   │   └── ...
        │   └── ...
        ├── meta                   (not read)
        └── split_zhou_Food101.json

    Args:
        data_root: The ``food-101`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'Food101'
    DIRNAME = 'food-101'
    EXPECTED_SIZES = dict(
        classes=101, train=50_500, val=20_200, test=30_300)
    SPLIT_FILE = 'split_zhou_Food101.json'
    IMAGE_DIR = 'images'
    DESCRIPTION_FILE = 'food101_prompt.json'


@DATASETS.register_module()
class CoOpSUN397(CoOpDataset):
    """SUN397 as in CoOp (397 classes, partition 01).

    Dataset directory: ::

        sun397
        ├── SUN397
        │   ├── a
        │   │   ├── abbey
        │   │   │   ├── sun_aaalbzqrimafwbiv.jpg
        │   │   │   └── ...
        │   │   ├── apartment_building
        │   │   │   └── outdoor
        │   │   └── ...
        │   └── ...
        ├── ClassName.txt, Training_01.txt, Testing_01.txt   (not read)
        └── split_zhou_SUN397.json

    Class names are the category path without its letter, components
    reversed and joined by a space (``outdoor apartment_building``).

    Args:
        data_root: The ``sun397`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'SUN397'
    DIRNAME = 'sun397'
    EXPECTED_SIZES = dict(
        classes=397, train=15_880, val=3_970, test=19_850)
    SPLIT_FILE = 'split_zhou_SUN397.json'
    IMAGE_DIR = 'SUN397'
    DESCRIPTION_FILE = 'sun397_prompt.json'


@DATASETS.register_module()
class CoOpDescribableTextures(CoOpDataset):
    """Describable Textures (DTD) as in CoOp (47 classes; CoOp's split, not
    ``labels/train1.txt``).

    Dataset directory: ::

        dtd
        ├── images
        │   ├── banded
        │   │   ├── banded_0002.jpg
        │   │   └── ...
        │   └── ...
        ├── imdb, labels           (not read)
        └── split_zhou_DescribableTextures.json

    Args:
        data_root: The ``dtd`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'DescribableTextures'
    DIRNAME = 'dtd'
    EXPECTED_SIZES = dict(
        classes=47, train=2_820, val=1_128, test=1_692)
    SPLIT_FILE = 'split_zhou_DescribableTextures.json'
    IMAGE_DIR = 'images'
    DESCRIPTION_FILE = 'dtd_prompt.json'


@DATASETS.register_module()
class CoOpEuroSAT(CoOpDataset):
    """EuroSAT (RGB) as in CoOp (10 classes).

    Dataset directory: ::

        eurosat
        ├── 2750
        │   ├── AnnualCrop
        │   │   ├── AnnualCrop_1.jpg
        │   │   └── ...
        │   └── ...
        └── split_zhou_EuroSAT.json

    The split renames every folder (``AnnualCrop`` -> ``Annual Crop Land``,
    ``SeaLake`` -> ``Sea or Lake``, ...); labels follow sorted folders.

    Args:
        data_root: The ``eurosat`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'EuroSAT'
    DIRNAME = 'eurosat'
    EXPECTED_SIZES = dict(
        classes=10, train=13_500, val=5_400, test=8_100)
    SPLIT_FILE = 'split_zhou_EuroSAT.json'
    IMAGE_DIR = '2750'
    DESCRIPTION_FILE = 'eurosat_prompt.json'


@DATASETS.register_module()
class CoOpUCF101(CoOpDataset):
    """UCF101 middle frames as in CoOp (101 classes, split 01).

    Dataset directory: ::

        ucf101
        ├── UCF-101-midframes
        │   ├── Apply_Eye_Makeup
        │   │   ├── v_ApplyEyeMakeup_g01_c01.jpg
        │   │   └── ...
        │   └── ...
        └── split_zhou_UCF101.json

    Class names are the CamelCase actions cut before each upper-case letter
    and joined with ``_`` (``Apply_Eye_Makeup``, ``Yo_Yo``).

    Args:
        data_root: The ``ucf101`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'UCF101'
    DIRNAME = 'ucf101'
    # CoOp's split has 1,898 val images; the paper's Table 10 prints 1,808.
    EXPECTED_SIZES = dict(
        classes=101, train=7_639, val=1_898, test=3_783)
    SPLIT_FILE = 'split_zhou_UCF101.json'
    IMAGE_DIR = 'UCF-101-midframes'
    DESCRIPTION_FILE = 'ucf101_prompt.json'
