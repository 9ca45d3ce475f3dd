"""Install the HiCroPL plugin for MMPretrain: ``pip install -e .``."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(path: str) -> list:
    with open(osp.join(osp.dirname(__file__), path)) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(osp.dirname(__file__), 'projects', 'hicropl', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='hicropl-mmpretrain',
    version=read_version(),
    description='Hierarchical Cross-modal Prompt Learning (HiCroPL) and CLIP prompt '
    'learning methods for MMPretrain',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['projects', 'projects.*']),
    python_requires='>=3.9',
    install_requires=read_requirements('requirements.txt'),
    extras_require={'tests': read_requirements('requirements-tests.txt')},
    license='Apache-2.0',
)
