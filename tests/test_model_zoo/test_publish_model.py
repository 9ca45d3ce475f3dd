"""tools/model_converters/publish_model.py."""
import hashlib
import os.path as osp
import re

import pytest
import torch
from mmengine.runner import load_checkpoint

from model_zoo_helpers import build_tiny, images, load_tool
from projects.hicropl.engine import safe_torch_load
from projects.hicropl.engine.hooks.checkpoint_meta_hook import checkpoint_meta

publish = load_tool('tools/model_converters/publish_model.py')


def work_dir_checkpoint(model, path, full: bool) -> str:
    """What a training run leaves (``full``: an older full checkpoint)."""
    state = dict(model.state_dict())
    if full:
        state.update({f'backbone.clip.{k}': v
                      for k, v in model.backbone.clip.state_dict().items()})
    optimizer = torch.optim.Adam(model.prompt_learner.parameters())
    torch.save(
        dict(meta=dict(checkpoint_meta(model), epoch=10, cfg='model = 1'),
             state_dict=state,
             optimizer=optimizer.state_dict(),
             param_schedulers=[dict(last_epoch=10)],
             message_hub=dict(runtime_info=dict(epoch=10))), path)
    return str(path)


@pytest.mark.parametrize('half', [False, True])
def test_publish_strips_and_names_by_hash(tmp_path, half):
    model = build_tiny()
    src = work_dir_checkpoint(model, tmp_path / 'epoch_10.pth', full=True)
    args = [src, str(tmp_path / 'hicropl_tiny.pth')] + (['--half'] * half)
    final = publish.main(args)
    name = osp.basename(final)
    match = re.fullmatch(r'hicropl_tiny_\d{8}-([0-9a-f]{8})\.pth', name)
    assert match, name
    with open(final, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest()[:8] == match.group(1)

    published = safe_torch_load(final)
    assert set(published) == {'meta', 'state_dict'}
    assert set(published['state_dict']) == set(model.state_dict())
    dtype = torch.float16 if half else torch.float32
    assert all(v.dtype == dtype for v in published['state_dict'].values())
    meta = published['meta']
    assert meta['epoch'] == 10 and meta['classnames'] == model.classnames
    assert meta['dataset_meta']['classes'] == model.classnames
    assert meta['half_precision'] is half

    reloaded = build_tiny()
    load_checkpoint(reloaded, final)
    model.eval(), reloaded.eval()
    batch = images()
    with torch.no_grad():
        expected = model(batch, mode='predict')
        got = reloaded(batch, mode='predict')
    for a, b in zip(expected, got):
        if half:  # fp16 storage, fp32 compute
            torch.testing.assert_close(a.pred_score, b.pred_score,
                                       rtol=0, atol=2e-3)
        else:
            assert torch.equal(a.pred_score, b.pred_score)
    half_size = sum(v.numel() * 2 for v in model.state_dict().values())
    if half:
        assert osp.getsize(final) < 1.5 * half_size + 4096


def test_missing_output_folder_is_an_error(tmp_path):
    src = work_dir_checkpoint(build_tiny(), tmp_path / 'e.pth', full=False)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        publish.main([src, str(tmp_path / 'nope' / 'x.pth')])
