#!/usr/bin/env python
"""Speed and memory of a prompt-learning model: training steps and
evaluation batches on synthetic data.

Builds the model of a config (``--random-weights`` keeps the configured
architecture but loads no pretrained weights), classifies among
``--num-classes`` synthetic class names and feeds synthetic images of the
backbone's input size, so no dataset or download is needed. Then, after
``--warmup`` untimed runs, it times ``--repeats`` of each:

* training step: ``model.train_step`` with the optim wrapper built from the
  config, as the runner calls it (data preprocessor, forward incl. frozen
  image features and prompt mapping, losses, backward, optimizer step).
  Any method: what is timed is read from the model, not from its name. A
  model without trainable parameters has no training step; when it has
  ``fit`` (fitted in one go on extracted features, as ``FeatureFitLoop``
  runs it, e.g. the linear probe) the fit on the features of the batch is
  timed instead (``fit_s``), otherwise only evaluation (zero-shot CLIP);
* evaluation batch: ``model.eval()``, no grad, ``model.val_step``
  (predict mode). The class text features do not change during an
  evaluation, so the model encodes the class prompts in the first batch
  (``cold``) and reuses them in all later batches (``steady``). The steady
  batch is what almost every batch of a real evaluation costs and is
  reported as ``eval_batch_s``; the cold one is reported too (the authors'
  code pays it on every batch).

Reported: median, min and max of the timings, images/s, trainable and
total parameters, peak memory
(process peak RSS, which includes building the model, and the CUDA peak on
GPU), tokens through each tower, FLOPs of one step or batch (matrix
products, convolutions and attention, counted by PyTorch's
``FlopCounterMode``) and the achieved FLOP/s next to the measured FLOP/s of
a large matrix product on the same device. A table goes to stdout and, as
the last line, one JSON object.

Example::

    python tools/benchmark.py \\
        configs/hicropl/base2novel/oxford_pets.py --random-weights \\
        --batch-size 8 --num-classes 50 --device cpu --threads 2
"""
import argparse
import contextlib
import json
import math
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from projects.hicropl.errors import ConfigError  # noqa: E402
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)

PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.float16}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Time training steps and evaluation batches of a '
        'prompt-learning model on synthetic data.')
    parser.add_argument('config', help='model config file')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='images per step / evaluation batch')
    parser.add_argument('--num-classes', type=int, default=50,
                        help='number of (synthetic) classes')
    parser.add_argument('--device', default='cpu',
                        help="'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--precision', choices=list(PRECISIONS),
                        default='fp32',
                        help='fp32, or autocast to bf16 / fp16 (on CUDA '
                        "through MMEngine's AmpOptimWrapper)")
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads of each process (default: '
                        'torch default; with --world-size W on CPU, the '
                        'cores divided by W)')
    parser.add_argument('--world-size', type=int, default=1,
                        help='W processes joined by torch.distributed (gloo '
                        'on CPU, nccl on CUDA, rank r on cuda:r), each with '
                        'its own --batch-size images, the model in DDP and '
                        'the class text encoding sharded over the ranks as '
                        'in training; under torchrun the launcher\'s world '
                        'is used instead')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed runs of each measurement')
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed runs before timing (at least one is '
                        'run: it counts the tokens)')
    parser.add_argument('--random-weights', action='store_true',
                        help='build the configured architecture without '
                        'loading pretrained weights '
                        '(backbone.pretrained=None)')
    parser.add_argument('--baseline', action='store_true',
                        help="also time the same math without this "
                        "plugin's shortcuts on open_clip's own blocks (the "
                        "authors' arithmetic): all C class prompts at the "
                        'full context length through the text tower (with '
                        'backward in training, re-encoded for every '
                        'evaluation batch), the prompted and the frozen '
                        'image towers at full length')
    parser.add_argument('--no-flops', action='store_true',
                        help='skip FLOP counting and the matmul peak')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (key=value)')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    for name in ('batch_size', 'num_classes', 'repeats', 'world_size'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.warmup < 0:
        parser.error('--warmup must be >= 0')
    if args.threads is not None and args.threads < 1:
        parser.error('--threads must be >= 1')
    return args


# ---------------------------------------------------------------- building
def load_config(args) -> Tuple[Config, List[str]]:
    """The config with the benchmark's overrides, and notes about them."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    notes = []
    model_cfg = cfg.model
    if args.random_weights:
        backbone = model_cfg.backbone
        tag = backbone.get('pretrained')
        if (isinstance(backbone.get('arch'), str) and tag
                and backbone.get('quick_gelu') is None):
            # Keep the architecture the weights would have selected
            # (OpenAI weights use QuickGELU activations).
            import open_clip
            backbone.quick_gelu = bool(
                open_clip.get_pretrained_cfg(backbone.arch, tag).get(
                    'quick_gelu', False))
        backbone.pretrained = None
        notes.append(f'random weights (backbone.pretrained=None; '
                     f'quick_gelu={backbone.get("quick_gelu")} as with '
                     f'{tag!r})')
    class_text = model_cfg.get('class_text')
    description_types = ('DescriptionTextEmbeddings',
                         'mmpretrain.DescriptionTextEmbeddings')
    if class_text and class_text.get('type') in description_types:
        path = class_text.get('descriptions')
        if not path or not osp.isfile(path):
            model_cfg.class_text = dict(
                type='TemplateTextEmbeddings', templates='a photo of a {}.')
            notes.append(f'class_text: TemplateTextEmbeddings("a photo of a '
                         f'{{}}.") instead of the missing description file '
                         f'{path!r}')
        else:
            class_text.on_missing = 'template'
            notes.append(f'class_text: {path} (synthetic classes without a '
                         f'description use the template)')
    return cfg, notes


def synthetic_classnames(num_classes: int) -> List[str]:
    return [f'synthetic class {i}' for i in range(num_classes)]


def build_model(cfg: Config, num_classes: int, device: torch.device):
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'set_classnames') or not hasattr(
            getattr(model, 'backbone', None), 'image_size'):
        raise ConfigError(
            f'{type(model).__name__} is not a prompt-learning CLIP classifier '
            f'(PromptCLIPClassifier); benchmark a config whose model is one.')
    model.to(device)
    model.set_classnames(synthetic_classnames(num_classes))
    return model


def build_optim_wrapper(model, cfg: Config, precision: str,
                        device: torch.device):
    """The config's optim wrapper; on CUDA with bf16/fp16 the
    ``AmpOptimWrapper`` that ``tools/train.py --amp`` selects."""
    from mmengine.optim import build_optim_wrapper as build
    optim_cfg = cfg.optim_wrapper.copy()
    if precision != 'fp32' and device.type == 'cuda':
        optim_cfg.type = 'AmpOptimWrapper'
        optim_cfg.dtype = {'bf16': 'bfloat16', 'fp16': 'float16'}[precision]
        optim_cfg.setdefault('loss_scale', 'dynamic')
    return build(model, optim_cfg)


def autocast_context(precision: str, device: torch.device) -> Callable:
    """A factory of the autocast context of ``precision`` (no-op for fp32)."""
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


def synthetic_batch(model, batch_size: int, num_classes: int) -> Dict:
    """A batch as a data loader gives it: uint8 images of the backbone's
    input size and data samples with labels (the preprocessor normalises
    and moves them to the model's device)."""
    from mmpretrain.structures import DataSample
    size = model.backbone.image_size
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(
        0, 256, (batch_size, 3, height, width), generator=generator,
        dtype=torch.uint8)
    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(batch_size)
    ]
    return dict(inputs=images, data_samples=samples)


# ------------------------------------------------------------- measuring
def trainable_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def training_kind(model) -> str:
    """How the model learns, read from the model: ``'train_step'`` (it has
    trainable parameters: forward, backward, optimizer step), ``'fit'``
    (no trainable parameters but ``fit``: fitted in one go on extracted
    features, as ``FeatureFitLoop`` does) or ``'none'`` (nothing to learn,
    e.g. zero-shot CLIP: evaluation only)."""
    if trainable_parameters(model):
        return 'train_step'
    if callable(getattr(model, 'fit', None)) and callable(
            getattr(model, 'extract_feat', None)):
        return 'fit'
    return 'none'


def saved_values(model) -> int:
    """Values of the model's state dict: what its checkpoint holds (the
    trained or fitted tensors; the frozen CLIP is rebuilt from the
    config)."""
    return sum(v.numel() for v in model.state_dict().values()
               if isinstance(v, torch.Tensor))


class TokenCounter:
    """Count the tokens through each tower while ``active``: the prompted
    text-tower calls (sequences x length once cut at the last EOT: what
    this rank really encodes), and the image-tower calls with prompts
    (image tokens + the layer-0 visual prompt; ``image_tokens_prompted``)
    and without (the frozen features, or the image tower of a model
    without visual prompts; ``image_tokens_frozen``). Installed on the
    backbone's ``encode_text`` / ``encode_image``, so it reads no method."""

    def __init__(self, backbone):
        self.active = False
        self.reset()
        encode_text, encode_image = backbone.encode_text, backbone.encode_image
        grid = backbone.clip.visual.grid_size
        image_tokens = math.prod(grid) + 1  # patches + class token

        def counting_text(tokens, prompts=None, ctx_index=None):
            if self.active and prompts is not None:
                self.text += tokens.shape[0] * (
                    int(tokens.argmax(dim=-1).max()) + 1)
            return encode_text(tokens, prompts, ctx_index)

        def counting_image(images, prompts=None):
            if self.active:
                prompts = list(prompts or [])
                extra = (prompts[0].shape[-2]
                         if prompts and prompts[0] is not None else 0)
                tokens = images.shape[0] * (image_tokens + extra)
                if any(p is not None for p in prompts):
                    self.image_prompted += tokens
                else:
                    self.image_frozen += tokens
            return encode_image(images, prompts)

        backbone.encode_text = counting_text
        backbone.encode_image = counting_image

    def reset(self) -> None:
        self.text = self.image_prompted = self.image_frozen = 0

    @contextlib.contextmanager
    def counting(self):
        self.reset()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


def text_per_image_watch(model) -> Dict[str, bool]:
    """Record whether the prompt learner's last ``PromptSet`` had
    image-conditioned text prompts (``text_per_image``)."""
    seen = {'text_per_image': False}
    learner = getattr(model, 'prompt_learner', None)
    if learner is not None:
        def hook(module, inputs, output):
            seen['text_per_image'] = bool(
                getattr(output, 'text_per_image', False))
        learner.register_forward_hook(hook)
    return seen


def token_counts(model, batch_size: int, counter: 'TokenCounter',
                 text_per_image: bool) -> Dict[str, int]:
    """Tokens of the counted pass, and the prompted class-prompt tokens of
    one step over all classes (one sequence per class, or per class and
    image when the text prompts depend on the image)."""
    class_tokens = getattr(model, 'class_tokens', None)
    prompted = (getattr(model, 'prompt_learner', None) is not None
                and class_tokens is not None and class_tokens.numel() > 0)
    text_length = (int(class_tokens.argmax(dim=-1).max()) + 1
                   if prompted else 0)
    sequences = class_tokens.shape[0] if prompted else 0
    if text_per_image:
        sequences *= batch_size
    return dict(
        text_per_image=bool(text_per_image),
        text_length=text_length,
        text_tokens_per_step=sequences * text_length,
        text_tokens_per_rank=counter.text,
        image_tokens_prompted=counter.image_prompted,
        image_tokens_frozen=counter.image_frozen,
        image_tokens_per_step=counter.image_prompted + counter.image_frozen)


def baseline_calls(model, batch_size: int,
                   num_classes: int) -> Tuple[Callable, Callable]:
    """A training step and an evaluation batch of the authors' arithmetic
    on the model's own (frozen) open_clip transformers, as plain open_clip
    runs them: the text tower over ``C`` sequences of the full context
    length (deep text prompts make its input require grad, so training
    backpropagates through all of it), the prompted image tower over
    ``B x (patches + 1 + n_ctx)`` tokens with backward, and the frozen
    image tower over ``B x (patches + 1)`` tokens without. The prompt
    mapping and the optimizer step (small) are left out, so the baseline
    is a lower bound of the authors' cost on the same machine."""
    clip = model.backbone.clip
    n_ctx = getattr(model.prompt_learner, 'n_ctx', 0)
    image_tokens = math.prod(clip.visual.grid_size) + 1
    text_width = clip.token_embedding.weight.shape[1]
    vision_width = clip.visual.conv1.out_channels
    device = clip.logit_scale.device
    generator = torch.Generator().manual_seed(0)

    def leaf(*shape):
        return (torch.randn(*shape, generator=generator) * 0.02).to(device)

    text_in = leaf(num_classes, clip.context_length, text_width)
    prompted_in = leaf(batch_size, image_tokens + n_ctx, vision_width)
    frozen_in = leaf(batch_size, image_tokens, vision_width)
    text_in.requires_grad_(True)
    prompted_in.requires_grad_(True)

    def towers():
        text = clip.transformer(text_in, attn_mask=clip.attn_mask)
        with torch.no_grad():
            clip.visual.transformer(frozen_in)
        return text.sum() + clip.visual.transformer(prompted_in).sum()

    def train_step():
        towers().backward()

    def eval_batch():
        with torch.no_grad():
            towers()

    return train_step, eval_batch


def run_benchmark(args, rank: int = 0, world_size: int = 1) -> Dict:
    """Build, warm up, time and count; returns the results of this process.

    What is timed as training is read from the model (:func:`training_kind`):
    a training step when it has trainable parameters, the fit on the
    features of the batch for a model fitted in one go (``fit``), nothing
    otherwise (evaluation only). Everything here is per process. With
    ``world_size > 1`` (a process group must be initialised) a trainable
    model runs in MMEngine's ``MMDistributedDataParallel`` (gradient
    all-reduce of the trainable parameters) with the class text encoding
    sharded over the ranks, and each rank takes ``args.batch_size`` images.
    """
    from mmengine.registry import init_default_scope

    from projects.hicropl.utils import (TimingStats, count_flops,
                                        matmul_flops_per_second,
                                        peak_device_memory_mb, peak_rss_mb,
                                        time_call)
    import projects.hicropl  # noqa: F401

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == 'cuda' and world_size > 1:
        device = torch.device('cuda', torch.cuda.current_device())
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device is available here; '
                         'use --device cpu.')
    cfg, notes = load_config(args)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    torch.manual_seed(0)
    model = build_model(cfg, args.num_classes, device)
    kind = training_kind(model)
    counter = TokenCounter(model.backbone)
    prompts_seen = text_per_image_watch(model)
    data = synthetic_batch(model, args.batch_size, args.num_classes)
    runner_model = model
    if world_size > 1 and kind == 'train_step':
        from mmengine.model import MMDistributedDataParallel
        runner_model = MMDistributedDataParallel(
            module=model,
            device_ids=[device.index] if device.type == 'cuda' else None)
    autocast = autocast_context(args.precision, device)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)

    if kind == 'train_step':
        optim_wrapper = build_optim_wrapper(model, cfg, args.precision,
                                            device)

        def train_step():
            with autocast():
                runner_model.train_step(data, optim_wrapper)
    elif kind == 'fit':
        notes.append('no trainable parameters: fitted in one go on features '
                     '(fit_s: features of the batch extracted, then '
                     'model.fit on them, the same features as validation '
                     'data); no SGD step')

        def train_step():
            with torch.no_grad(), autocast():
                batch = model.data_preprocessor(data, False)
                features = model.extract_feat(batch['inputs'])
            labels = torch.cat(
                [s.gt_label for s in batch['data_samples']]).to(
                    features.device)
            model.fit(features, labels, features, labels)
    else:
        train_step = None
        notes.append('no trainable parameters and no fit: evaluation only')

    def eval_batch():
        with torch.no_grad(), autocast():
            runner_model.val_step(data)

    train_times = []
    if train_step is not None:
        model.train()
        # untimed: the first run counts what one training step encodes
        with counter.counting():
            train_step()
        for _ in range(args.warmup - 1):
            train_step()
        train_times = [
            time_call(train_step, device) for _ in range(args.repeats)
        ]
        train_tokens = token_counts(model, args.batch_size, counter,
                                    prompts_seen['text_per_image'])

    model.eval()
    with counter.counting():  # untimed, the first (cold) evaluation batch
        eval_batch()
    eval_tokens = token_counts(model, args.batch_size, counter,
                               prompts_seen['text_per_image'])
    for _ in range(args.warmup - 1):
        eval_batch()
    cold_times, steady_times = [], []
    for _ in range(args.repeats):
        model.eval()  # a new evaluation: the class text cache is cleared
        cold_times.append(time_call(eval_batch, device))
        steady_times.append(time_call(eval_batch, device))

    results = dict(
        config=args.config,
        arch=str(model.backbone.arch),
        model=type(model).__name__,
        device=str(device),
        precision=args.precision,
        threads=torch.get_num_threads(),
        world_size=world_size,
        batch_size=args.batch_size,
        num_classes=args.num_classes,
        repeats=args.repeats,
        warmup=args.warmup,
        training=kind,
        trainable_params=trainable_parameters(model),
        total_params=sum(p.numel() for p in model.parameters()),
        saved_values=saved_values(model),
        notes=notes)
    timings = [('eval_batch', steady_times), ('eval_batch_cold', cold_times)]
    if kind != 'none':
        timings.insert(0, ({'train_step': 'train_step',
                            'fit': 'fit'}[kind], train_times))
    for name, times in timings:
        stats = TimingStats.from_times(times)
        results[f'{name}_s'] = stats.median
        results[f'{name}_min_s'] = stats.min
        results[f'{name}_max_s'] = stats.max
    if kind == 'train_step':
        results['train_images_per_s'] = (
            args.batch_size / results['train_step_s'])
    results['eval_images_per_s'] = args.batch_size / results['eval_batch_s']
    results['peak_rss_mb'] = peak_rss_mb()
    if device.type == 'cuda':
        results['peak_cuda_mb'] = peak_device_memory_mb(device)
    if getattr(args, 'baseline', False):
        base_train, base_eval = baseline_calls(model, args.batch_size,
                                               args.num_classes)
        if device.type == 'cuda':  # the baseline's own peak, same process
            torch.cuda.reset_peak_memory_stats(device)
        for name, call in (('baseline_train_step', base_train),
                           ('baseline_eval_batch', base_eval)):
            for _ in range(args.warmup):
                with autocast():
                    call()
            times = []
            for _ in range(args.repeats):
                with autocast():
                    times.append(time_call(call, device))
            stats = TimingStats.from_times(times)
            results[f'{name}_s'] = stats.median
            results[f'{name}_min_s'] = stats.min
            results[f'{name}_max_s'] = stats.max
            if not args.no_flops:
                results[f'{name}_flops'] = count_flops(call)
        if device.type == 'cuda':
            results['baseline_peak_cuda_mb'] = peak_device_memory_mb(device)
    # tokens of a training step (of an evaluation batch when not trained)
    results.update(train_tokens if kind == 'train_step' else eval_tokens)

    if not args.no_flops:
        names = ['eval_batch', 'eval_batch_cold']
        if kind == 'train_step':
            model.train()
            results['train_step_flops'] = count_flops(train_step)
            names.insert(0, 'train_step')
        model.eval()
        results['eval_batch_cold_flops'] = count_flops(eval_batch)
        results['eval_batch_flops'] = count_flops(eval_batch)
        for name in names:
            results[f'{name}_flops_per_s'] = (
                results[f'{name}_flops'] / results[f'{name}_s'])
        dtype = PRECISIONS[args.precision] or torch.float32
        results['matmul_peak_flops_per_s'] = matmul_flops_per_second(
            device, dtype)
    return results


# ---------------------------------------------------------------- output
def format_table(results: Dict) -> str:
    """The results as a human-readable table."""
    lines = [
        f"config     {results['config']}",
        f"arch       {results['arch']}",
        f"setting    batch {results['batch_size']}"
        + (f" per rank x {results['world_size']} ranks"
           if results['world_size'] > 1 else '') + ', '
        f"{results['num_classes']} classes, {results['device']}, "
        f"{results['precision']}, {results['threads']} threads, "
        f"{results['warmup']} warm-up + {results['repeats']} timed runs",
    ]
    lines += [f'note       {note}' for note in results['notes']]
    peak = results.get('matmul_peak_flops_per_s')
    header = (f"{'':<26}{'median s':>10}{'min s':>9}{'max s':>9}"
              f"{'images/s':>10}{'GFLOP':>9}{'GFLOP/s':>9}{'% peak':>8}")
    lines += ['', header, '-' * len(header)]
    rows = [('training step', 'train_step'), ('fit on batch features', 'fit'),
            ('eval batch (steady)', 'eval_batch'),
            ('eval batch (cold)', 'eval_batch_cold')]
    rows = [row for row in rows if f'{row[1]}_s' in results]
    if 'baseline_train_step_s' in results:
        rows += [('baseline training step', 'baseline_train_step'),
                 ('baseline eval batch', 'baseline_eval_batch')]
    for label, name in rows:
        median = results[f'{name}_s']
        row = (f'{label:<26}{median:>10.3f}{results[f"{name}_min_s"]:>9.3f}'
               f'{results[f"{name}_max_s"]:>9.3f}'
               f'{results["batch_size"] / median:>10.2f}')
        rate = results.get(f'{name}_flops_per_s')
        if rate is None and f'{name}_flops' in results:
            rate = results[f'{name}_flops'] / median
        if rate is not None and peak is not None:
            row += f'{results[f"{name}_flops"] / 1e9:>9.1f}{rate / 1e9:>9.1f}'
            row += f'{100 * rate / peak:>7.0f}%'
        lines.append(row)
    if results['text_length']:
        per_image = (f" x {results['batch_size']} images"
                     if results.get('text_per_image') else '')
        text = (f"text {results['text_tokens_per_step']} per step "
                f"({results['num_classes']} classes{per_image} x "
                f"{results['text_length']}, cut at the last EOT), "
                f"{results['text_tokens_per_rank']} per rank (world size "
                f"{results['world_size']})")
    else:
        text = 'text none per step (no prompted class prompts)'
    lines += [
        '',
        f"tokens     {text}; image {results['image_tokens_per_step']} per "
        f"step ({results['image_tokens_prompted']} with prompts + "
        f"{results['image_tokens_frozen']} without)",
        f"params     {results['trainable_params']:,} trainable of "
        f"{results['total_params']:,}, checkpoint "
        f"{results['saved_values']:,} values ({results['model']}; training: "
        f"{results['training']})",
        f"memory     peak RSS {results['peak_rss_mb']:.0f} MiB"
        + (f", CUDA peak {results['peak_cuda_mb']:.0f} MiB"
           if 'peak_cuda_mb' in results else ''),
    ]
    if 'baseline_train_step_s' in results:
        lines.append(
            'baseline   the same math without the shortcuts, plain open_clip '
            'blocks, this machine: training step '
            f"{results['baseline_train_step_s'] / results['train_step_s']:.2f}x"
            ' and eval batch '
            f"{results['baseline_eval_batch_s'] / results['eval_batch_s']:.2f}x"
            ' slower than ours')
    if peak is not None:
        lines.append(f'matmul     {peak / 1e9:.1f} GFLOP/s measured peak '
                     f'(2048^2 {results["precision"]} matrix product)')
    lines.append('eval_batch_s is the steady-state batch (class text features '
                 'cached for the evaluation); the cold batch encodes them.')
    return '\n'.join(lines)


def combine_ranks(per_rank: List[Dict]) -> Dict:
    """Rank 0's results with the slowest rank's timings and peaks (a
    synchronous step lasts as long as its slowest rank) and the text tokens
    of every rank (``text_tokens_per_rank_all``)."""
    results = dict(per_rank[0])
    for key in results:
        if key.endswith('_s') or key.startswith('peak_'):
            results[key] = max(r[key] for r in per_rank)
    if 'train_step_s' in results:
        results['train_images_per_s'] = (
            results['batch_size'] * len(per_rank) / results['train_step_s'])
    results['eval_images_per_s'] = (
        results['batch_size'] * len(per_rank) / results['eval_batch_s'])
    results['text_tokens_per_rank'] = max(
        r['text_tokens_per_rank'] for r in per_rank)
    results['text_tokens_per_rank_all'] = [
        r['text_tokens_per_rank'] for r in per_rank
    ]
    for name in ('train_step', 'eval_batch', 'eval_batch_cold'):
        if f'{name}_flops' in results:
            results[f'{name}_flops_per_s'] = (
                results[f'{name}_flops'] / results[f'{name}_s'])
    return results


def _run_rank(args) -> Optional[Dict]:
    """Run on this rank of the initialised process group; rank 0 gets the
    combined results, the others None."""
    import torch.distributed as dist
    rank, world_size = dist.get_rank(), dist.get_world_size()
    results = run_benchmark(args, rank, world_size)
    gathered = [None] * world_size if rank == 0 else None
    dist.gather_object(results, gathered, dst=0)
    return combine_ranks(gathered) if rank == 0 else None


def _spawned_rank(rank: int, args, port: int, queue) -> None:
    import datetime

    import torch.distributed as dist
    backend = 'nccl' if torch.device(args.device).type == 'cuda' else 'gloo'
    if backend == 'nccl':
        torch.cuda.set_device(rank)
    dist.init_process_group(
        backend,
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=args.world_size,
        timeout=datetime.timedelta(minutes=30))
    try:
        results = _run_rank(args)
        if rank == 0:
            queue.put(results)
    finally:
        dist.destroy_process_group()


def run_distributed(args) -> Dict:
    """Run the benchmark on ``args.world_size`` local processes."""
    import os
    import socket

    import torch.multiprocessing as mp
    if args.threads is None and torch.device(args.device).type == 'cpu':
        args.threads = max(1, (os.cpu_count() or 1) // args.world_size)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    start_method = 'spawn' if torch.device(
        args.device).type == 'cuda' else 'fork'
    queue = mp.get_context(start_method).SimpleQueue()
    mp.start_processes(
        _spawned_rank,
        args=(args, port, queue),
        nprocs=args.world_size,
        join=True,
        start_method=start_method)
    return queue.get()


def main(argv: Optional[List[str]] = None) -> Optional[Dict]:
    import os
    args = parse_args(argv)
    if int(os.environ.get('WORLD_SIZE', '1')) > 1:  # launched by torchrun
        import torch.distributed as dist
        backend = 'nccl' if torch.device(
            args.device).type == 'cuda' else 'gloo'
        if backend == 'nccl':
            args.device = f'cuda:{int(os.environ["LOCAL_RANK"])}'
            torch.cuda.set_device(args.device)
        dist.init_process_group(backend)
        args.world_size = dist.get_world_size()
        try:
            results = _run_rank(args)
        finally:
            dist.destroy_process_group()
        if results is None:
            return None
    elif args.world_size > 1:
        results = run_distributed(args)
    else:
        results = run_benchmark(args)
    print(format_table(results))
    print(json.dumps(results), flush=True)
    return results


if __name__ == '__main__':
    run_main(main)
