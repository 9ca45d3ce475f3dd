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
  image features and prompt mapping, losses, backward, optimizer step);
* evaluation batch: ``model.eval()``, no grad, ``model.val_step``
  (predict mode). The class text features do not change during an
  evaluation, so the model encodes the class prompts in the first batch
  (``cold``) and reuses them in all later batches (``steady``). The steady
  batch is what almost every batch of a real evaluation costs and is
  reported as ``eval_batch_s``; the cold one is reported too (the authors'
  code pays it on every batch).

Reported: median, min and max of the timings, images/s, peak memory
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
                        help='untimed runs before timing')
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
def token_counts(model, batch_size: int) -> Dict[str, int]:
    """Tokens through each tower: the class prompts (one sequence per class,
    cut at the last EOT), the prompted images and the frozen images."""
    backbone = model.backbone
    text_length = int(model.class_tokens.argmax(dim=-1).max()) + 1
    num_classes = model.class_tokens.shape[0]
    grid = backbone.clip.visual.grid_size
    image_tokens = math.prod(grid) + 1  # patches + class token
    n_ctx = getattr(model.prompt_learner, 'n_ctx', 0)
    uses_frozen = 'frozen_image' in model.needs
    counts = dict(
        text_length=text_length,
        text_tokens_per_step=num_classes * text_length,
        image_tokens_prompted=batch_size * (image_tokens + n_ctx),
        image_tokens_frozen=batch_size * image_tokens if uses_frozen else 0)
    counts['image_tokens_per_step'] = (
        counts['image_tokens_prompted'] + counts['image_tokens_frozen'])
    return counts


def count_text_tokens(model) -> List[int]:
    """Record the tokens of every prompted text-tower call (sequences x
    length once cut at the last EOT) in the list returned, as the model
    runs: what this rank really encodes."""
    calls: List[int] = []
    backbone = model.backbone
    encode = backbone.encode_text

    def counting(tokens, prompts=None, ctx_index=None):
        if prompts is not None:
            calls.append(tokens.shape[0] *
                         (int(tokens.argmax(dim=-1).max()) + 1))
        return encode(tokens, prompts, ctx_index)

    backbone.encode_text = counting
    return calls


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

    Everything here is per process. With ``world_size > 1`` (a process
    group must be initialised) the model runs in MMEngine's
    ``MMDistributedDataParallel`` (gradient all-reduce of the trainable
    parameters) with the class text encoding sharded over the ranks, and
    each rank takes ``args.batch_size`` images.
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
    text_tokens = count_text_tokens(model)
    optim_wrapper = build_optim_wrapper(model, cfg, args.precision, device)
    data = synthetic_batch(model, args.batch_size, args.num_classes)
    runner_model = model
    if world_size > 1:
        from mmengine.model import MMDistributedDataParallel
        runner_model = MMDistributedDataParallel(
            module=model,
            device_ids=[device.index] if device.type == 'cuda' else None)
    autocast = autocast_context(args.precision, device)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)

    def train_step():
        with autocast():
            runner_model.train_step(data, optim_wrapper)

    def eval_batch():
        with torch.no_grad(), autocast():
            runner_model.val_step(data)

    model.train()
    for _ in range(args.warmup):
        train_step()
    del text_tokens[:]
    train_step()  # untimed: count what one training step encodes
    text_tokens_per_rank = sum(text_tokens)
    train_times = [time_call(train_step, device) for _ in range(args.repeats)]

    model.eval()
    for _ in range(args.warmup):
        eval_batch()
    cold_times, steady_times = [], []
    for _ in range(args.repeats):
        model.eval()  # a new evaluation: the class text cache is cleared
        cold_times.append(time_call(eval_batch, device))
        steady_times.append(time_call(eval_batch, device))

    results = dict(
        config=args.config,
        arch=str(model.backbone.arch),
        device=str(device),
        precision=args.precision,
        threads=torch.get_num_threads(),
        world_size=world_size,
        batch_size=args.batch_size,
        num_classes=args.num_classes,
        repeats=args.repeats,
        warmup=args.warmup,
        notes=notes)
    for name, times in (('train_step', train_times),
                        ('eval_batch', steady_times),
                        ('eval_batch_cold', cold_times)):
        stats = TimingStats.from_times(times)
        results[f'{name}_s'] = stats.median
        results[f'{name}_min_s'] = stats.min
        results[f'{name}_max_s'] = stats.max
    results['train_images_per_s'] = args.batch_size / results['train_step_s']
    results['eval_images_per_s'] = args.batch_size / results['eval_batch_s']
    results['peak_rss_mb'] = peak_rss_mb()
    if device.type == 'cuda':
        results['peak_cuda_mb'] = peak_device_memory_mb(device)
    if getattr(args, 'baseline', False):
        base_train, base_eval = baseline_calls(model, args.batch_size,
                                               args.num_classes)
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
    results.update(token_counts(model, args.batch_size))
    results['text_tokens_per_rank'] = text_tokens_per_rank

    if not args.no_flops:
        model.train()
        results['train_step_flops'] = count_flops(train_step)
        model.eval()
        results['eval_batch_cold_flops'] = count_flops(eval_batch)
        results['eval_batch_flops'] = count_flops(eval_batch)
        for name in ('train_step', 'eval_batch', 'eval_batch_cold'):
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
    rows = [('training step', 'train_step'),
            ('eval batch (steady)', 'eval_batch'),
            ('eval batch (cold)', 'eval_batch_cold')]
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
    lines += [
        '',
        f"tokens     text {results['text_tokens_per_step']} per step "
        f"({results['num_classes']} classes x {results['text_length']}, cut "
        f"at the last EOT), {results['text_tokens_per_rank']} per rank "
        f"(world size {results['world_size']}); image {results['image_tokens_per_step']} per step "
        f"({results['image_tokens_prompted']} prompted + "
        f"{results['image_tokens_frozen']} frozen)",
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
