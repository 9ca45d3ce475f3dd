"""What every prompt learner gives the prompted CLIP towers."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModule

__all__ = ['BasePromptLearner', 'CLASS_TOKEN_POSITIONS', 'PromptSet']

# Where the class name sits relative to the learned context (CoOp, Sec. 3.2).
CLASS_TOKEN_POSITIONS = ('end', 'middle', 'front')


@dataclass
class PromptSet:
    """Per-layer prompts of both towers (what :class:`PromptedCLIP` inserts).

    Attributes:
        text (list): One entry per text layer (shorter lists leave the later
            layers unprompted): ``None``, ``[n, W_t]`` shared by all classes,
            ``[C, n, W_t]`` per class (CoOp's class-specific context) or,
            with ``text_per_image``, ``[B, n, W_t]`` per image (CoCoOp).
        visual (list): One entry per image layer: ``None``, ``[n, W_v]`` or
            ``[B, n, W_v]``; appended after the image tokens.
        text_per_image (bool): The text prompts depend on the image: the class
            prompts are encoded once per image (``[B, C, D]`` features).
        aux (dict[str, Tensor]): Further outputs of the learner that its own
            loss parts read (``Features.learner_aux``), e.g. HISF's fused
            prompts mapped to the label space; empty for most learners.
    """
    text: List[Optional[torch.Tensor]] = field(default_factory=list)
    visual: List[Optional[torch.Tensor]] = field(default_factory=list)
    text_per_image: bool = False
    aux: Dict[str, torch.Tensor] = field(default_factory=dict)


class BasePromptLearner(BaseModule):
    """Base of the prompt learners: what the classifier may ask of one.

    A prompt learner declares the class prompt it expects (
    :meth:`class_prompt_template`, ``n_ctx`` placeholder words that the
    layer-0 text prompt replaces), where the class name sits
    (``class_token_position``), which frozen features its ``forward`` reads
    (``needs``) and whether ``forward`` is a pure function of its
    parameters (``is_pure``: the classifier may then encode the class
    prompts once per evaluation). Nothing else about a method is read
    outside its own files.

    Attributes:
        n_ctx (int): Context tokens of the layer-0 text prompt (0: none).
        class_token_position (str): ``'end'`` (``[SOS, ctx, name, ., EOT]``),
            ``'middle'`` or ``'front'`` (CoOp's layouts).
        needs (frozenset[str]): Frozen features ``forward`` takes as keyword
            arguments, e.g. ``{'frozen_image'}`` (CoCoOp's meta-net input).
        is_pure (bool): ``forward`` depends on the parameters only.
    """
    n_ctx: int = 0
    class_token_position: str = 'end'
    needs: frozenset = frozenset()
    is_pure: bool = True

    def class_prompt_template(self) -> str:
        """The class prompt with ``{}`` for the class name, e.g.
        ``'X X X X {}.'`` (underscores of class names become spaces)."""
        return ' '.join(['X'] * self.n_ctx + ['{}.'])

    def check_classnames(self, classnames: Sequence[str]) -> None:
        """Raise ``ValueError`` when the learner cannot classify among
        ``classnames`` (e.g. class-specific contexts learned for another
        number of classes). Any class list is fine by default."""

    def forward(self, **frozen: torch.Tensor) -> PromptSet:
        """Prompts of every layer of both towers.

        Args:
            **frozen: The frozen features named in ``needs`` (e.g.
                ``frozen_image`` ``[B, D]``, unit norm).
        """
        raise NotImplementedError
