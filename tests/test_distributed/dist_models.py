"""A tiny HiCroPL classifier and deterministic batches shared by the
distributed tests (single-process references and the spawned ranks)."""
from typing import Callable, List, Tuple

import torch

import projects.hicropl  # noqa: F401
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.testing import tiny_clip_arch

# 5 classes: C % W != 0 for W = 2 (padded shard).
CLASSNAMES = ['red_fox', 'snowy owl', 'golden_retriever', 'sea turtle',
              'hot_air_balloon']


# Scenario name -> prompt learner: the paper's HiCroPL or the authors' code.
LEARNERS = dict(paper='HiCroPLPromptLearner',
                official='HiCroPLOfficialPromptLearner')


def build_classifier(semantics: str = 'paper', shard: bool = True,
                     classnames=CLASSNAMES):
    """HiCroPL on a tiny random CLIP (depth 3, k = 1), lambda = 12;
    ``semantics`` names the learner (:data:`LEARNERS`)."""
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='PromptCLIPClassifier',
            backbone=dict(
                type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
            prompt_learner=dict(
                type=LEARNERS[semantics],
                n_ctx=2,
                depth=3,
                cross_layer=1,
                num_heads=4),
            class_text=dict(
                type='TemplateTextEmbeddings',
                templates=['a photo of a {}.', 'a drawing of a {}.']),
            classnames=classnames,
            shard_text_encoding=shard,
            head=dict(type='FusedFrozenHead'),
            losses=[dict(type='LogitsLoss'),
                    dict(type='ConsistencyLoss', loss_weight=12.0)]))


def build_optim_wrapper(model) -> OptimWrapper:
    """The authors' Adam (lr 2.5e-3, eps 1e-3, weight decay 5e-4)."""
    params = [p for p in model.parameters() if p.requires_grad]
    return OptimWrapper(
        torch.optim.Adam(params, lr=2.5e-3, eps=1e-3, weight_decay=5e-4))


def global_batch(step: int, size: int,
                 num_classes: int = len(CLASSNAMES)
                 ) -> Tuple[torch.Tensor, List[DataSample]]:
    """Images ``[size, 3, 32, 32]`` (0..255) and labels of one step."""
    gen = torch.Generator().manual_seed(1000 + step)
    images = torch.rand(size, 3, 32, 32, generator=gen) * 255
    labels = torch.randint(num_classes, (size, ), generator=gen)
    return images, [DataSample().set_gt_label(int(y)) for y in labels]


def count_text_rows(model) -> List[Tuple[int, int]]:
    """Record ``(N, L)`` of every prompted text-tower call: sequences and
    their length once cut at the last EOT (the list returned fills as the
    model runs)."""
    calls: List[Tuple[int, int]] = []
    encode: Callable = model.backbone.encode_text

    def counting(tokens, prompts=None):
        if prompts is not None:
            calls.append((tokens.shape[0],
                          int(tokens.argmax(dim=-1).max()) + 1))
        return encode(tokens, prompts)

    model.backbone.encode_text = counting
    return calls


def trainable_state(model) -> dict:
    """Copies of the trainable parameters, by name."""
    return {
        name: p.detach().clone()
        for name, p in model.named_parameters() if p.requires_grad
    }


def max_abs_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)
