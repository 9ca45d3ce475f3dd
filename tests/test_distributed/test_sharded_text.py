"""Class-sharded text encoding and shared frozen class embeddings.

Unit tests of the shard arithmetic, then 2 CPU processes (gloo): sharded
features equal the full ones, DDP-averaged gradients through the gather
equal the single-process gradient (a gather without the backward
reduction does not), uneven and tiny class counts, and the frozen class
text embeddings computed once (each rank encodes half the sentences, the
disk cache is read and written by rank 0 only).
"""
import math

import pytest
import torch
import torch.distributed as dist

from dist_models import CLASSNAMES, build_classifier
from dist_launch import WORLD_SIZE, run_distributed
from projects.hicropl.models.text_features import TemplateTextEmbeddings
from projects.hicropl.models.utils import (all_gather_rows, shard_bounds,
                                           shard_indices, sharded_encode_text,
                                           text_tokens_per_rank)
from projects.hicropl.testing import clip_steps, rounding_tolerance

TEMPLATES = ['a photo of a {}.', 'a drawing of a {}.', 'art of the {}.']
NUM_CLASSES = (5, 4, 1)  # uneven, even, fewer classes than ranks


# ------------------------------------------------------------------ unit
@pytest.mark.parametrize('num_items,world_size', [(5, 2), (4, 2), (1, 2),
                                                  (10, 3), (7, 8), (6, 1)])
def test_shards_cover_every_item_once(num_items, world_size):
    owned = []
    per_rank = math.ceil(num_items / world_size)
    for rank in range(world_size):
        bounds = shard_bounds(num_items, world_size, rank)
        owned += list(range(num_items))[bounds]
        rows = shard_indices(num_items, world_size, rank)
        assert len(rows) == per_rank  # same shape on every rank
        assert rows.max() < num_items
        # real rows first, then copies of the last item
        real = bounds.stop - bounds.start
        assert rows[:real].tolist() == list(range(bounds.start, bounds.stop))
        assert (rows[real:] == num_items - 1).all()
    assert owned == list(range(num_items))
    with pytest.raises(ValueError, match='rank'):
        shard_bounds(num_items, world_size, world_size)


def test_text_tokens_per_rank():
    assert text_tokens_per_rank(10, 7) == 70
    assert text_tokens_per_rank(10, 7, 2) == 35
    assert text_tokens_per_rank(5, 7, 2) == 21  # ceil(5 / 2) = 3 rows
    assert text_tokens_per_rank(1000, 20, 8) == 125 * 20
    with pytest.raises(ValueError, match='world_size'):
        text_tokens_per_rank(10, 7, 0)


def test_single_process_is_a_plain_call():
    assert not dist.is_initialized()
    calls = []

    def encode(tokens, prompts):
        calls.append(tokens.shape[0])
        return tokens.float() * 2

    tokens = torch.arange(6).view(3, 2)
    out = sharded_encode_text(encode, tokens, None, enabled=True)
    assert calls == [3] and torch.equal(out, tokens.float() * 2)


# ------------------------------------------------------- 2 processes
def _prompt_grads(model, loss):
    params = [p for p in model.prompt_learner.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    # the text path does not reach the text->image mapper: no gradient
    return [g for g in grads if g is not None]


def _naive_gather(local, num_classes):
    """A common mistake: the gathered copies carry no gradient back to the
    rank that encoded them."""
    parts = [torch.empty_like(local) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, local.detach().contiguous())
    parts[dist.get_rank()] = local
    return torch.cat(parts)[:num_classes]


def sharding_worker(rank, world_size, folder):
    model = build_classifier()
    encode = model.backbone.encode_text
    results = dict(features={}, grads={}, naive={}, rows={})
    for num_classes in NUM_CLASSES:
        tokens = model.class_tokens[:num_classes]
        rows = []

        def counting(t, p=None):
            rows.append(t.shape[0])
            return encode(t, p)

        prompts = model.prompt_learner()
        full = encode(tokens, prompts.text)
        sharded = sharded_encode_text(counting, tokens, prompts.text)
        results['features'][num_classes] = (sharded - full).abs().max().item()
        results.setdefault('feature_scale', {})[num_classes] = \
            full.abs().max().item()
        results['rows'][num_classes] = rows

        # Rank r's loss weighs the class features with its own weights (as
        # its own images would); DDP averages the gradients over ranks.
        weights = [torch.randn(full.shape, generator=torch.Generator()
                               .manual_seed(r)) for r in range(world_size)]

        def averaged(grads):
            grads = [g.clone() for g in grads]
            for g in grads:
                dist.all_reduce(g)
                g /= world_size
            return grads

        def dist_grads(gather):
            prompts = model.prompt_learner()
            local = encode(tokens[shard_indices(num_classes, world_size,
                                                rank)], prompts.text)
            features = gather(local, num_classes)
            return averaged(_prompt_grads(model,
                                          (features * weights[rank]).sum()))

        good = dist_grads(lambda x, c: all_gather_rows(x)[:c])
        naive = dist_grads(_naive_gather)
        prompts = model.prompt_learner()
        reference = encode(tokens, prompts.text)
        want = _prompt_grads(
            model, sum((reference * w).sum() for w in weights) / world_size)
        results['grads'][num_classes] = max(
            (g - w).abs().max().item() for g, w in zip(good, want))
        results['naive'][num_classes] = max(
            (g - w).abs().max().item() for g, w in zip(naive, want))
        results.setdefault('grad_scale', {})[num_classes] = max(
            w.abs().max().item() for w in want)
    # the text tower's rounding path, forward (and back for gradients)
    results['steps'] = clip_steps(model.backbone, 'text')
    torch.save(results, folder / f'sharding{rank}.pt')


def class_text_worker(rank, world_size, folder):
    model = build_classifier()
    clip = model.backbone
    encode = clip.encode_text
    sentences = []

    def counting(tokens, prompts=None):
        sentences.append(tokens.shape[0])
        return encode(tokens, prompts)

    clip.encode_text = counting
    results = {}
    local = TemplateTextEmbeddings(templates=TEMPLATES, distributed=False)
    want = local(clip, CLASSNAMES)
    results['local_sentences'] = sum(sentences)

    sentences.clear()
    cache = folder / 'cache'
    shared = TemplateTextEmbeddings(templates=TEMPLATES,
                                    cache_dir=str(cache), batch_size=4)
    saves = []
    save = shared._save_disk
    shared._save_disk = lambda key, f: (saves.append(key), save(key, f))
    got = shared(clip, CLASSNAMES)
    results['shared_sentences'] = sum(sentences)
    results['shared_error'] = (got - want).abs().max().item()
    results['saves'] = len(saves)
    dist.barrier()

    sentences.clear()
    reloaded = TemplateTextEmbeddings(templates=TEMPLATES,
                                      cache_dir=str(cache))
    reads = []
    load = reloaded._load_disk
    reloaded._load_disk = lambda key: (reads.append(key), load(key))[1]
    again = reloaded(clip, CLASSNAMES)
    results['cached_sentences'] = sum(sentences)
    results['cached_reads'] = len(reads)
    results['cached_error'] = (again - want).abs().max().item()
    results['cache_files'] = len(list(cache.glob('*.pt')))
    results['steps'] = clip_steps(clip, 'text')
    results['scale'] = want.abs().max().item()
    torch.save(results, folder / f'class_text{rank}.pt')


def worker(rank, world_size, folder):
    sharding_worker(rank, world_size, folder)
    class_text_worker(rank, world_size, folder)


@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    folder = tmp_path_factory.mktemp('sharded_text')
    run_distributed(worker, folder)
    return [
        dict(
            sharding=torch.load(folder / f'sharding{r}.pt'),
            class_text=torch.load(folder / f'class_text{r}.pt'))
        for r in range(WORLD_SIZE)
    ]


@pytest.mark.distributed
@pytest.mark.parametrize('num_classes', NUM_CLASSES)
def test_sharded_features_and_gradients(ranks, num_classes):
    for rank in ranks:
        result = rank['sharding']
        # each rank encodes ceil(C / W) classes, not C
        assert result['rows'][num_classes] == [
            math.ceil(num_classes / WORLD_SIZE)]
        # sharded and full encodings run the same math on other batch
        # shapes: they differ by rounding only
        steps = result['steps']
        assert result['features'][num_classes] <= rounding_tolerance(
            result['feature_scale'][num_classes], steps)
        scale = result['grad_scale'][num_classes]
        grad_tol = rounding_tolerance(scale, 2 * steps)  # forward + backward
        assert result['grads'][num_classes] <= grad_tol
        # without the backward reduction the gradient is wrong, by far more
        # than rounding
        if num_classes > 1:
            assert result['naive'][num_classes] > max(1e-2 * scale,
                                                      100 * grad_tol)


@pytest.mark.distributed
def test_class_text_embeddings_computed_once(ranks):
    total = len(TEMPLATES) * len(CLASSNAMES)  # 15 sentences
    shares = [rank['class_text']['shared_sentences'] for rank in ranks]
    assert sum(shares) == total
    assert shares == [math.ceil(total / 2), total // 2]  # 8 + 7
    for i, rank in enumerate(ranks):
        result = rank['class_text']
        assert result['local_sentences'] == total
        # sentences encoded in batches of 4 vs all at once: rounding only
        tol = rounding_tolerance(result['scale'], result['steps'])
        assert result['shared_error'] <= tol
        assert result['saves'] == (1 if i == 0 else 0)
        # second object: rank 0 reads the disk cache and broadcasts it
        assert result['cached_sentences'] == 0
        assert result['cached_reads'] == (1 if i == 0 else 0)
        assert result['cached_error'] <= tol
        assert result['cache_files'] == 1
