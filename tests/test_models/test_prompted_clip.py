"""PromptedCLIP: frozen path, prompt insertion positions, EOT pooling, loading."""
import open_clip
import pytest
import torch

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import clip_steps, rounding_tolerance, tiny_clip_arch

torch.manual_seed(0)
CLIP = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None))
N_CTX = 3


def close(got, expected, tower):
    """The same math in another operation order: equal up to fp32 rounding
    along the tower (projects.hicropl.testing.tolerance)."""
    tol = rounding_tolerance(expected, clip_steps(CLIP, tower))
    torch.testing.assert_close(got, expected, rtol=0, atol=tol)


def plain_clip():
    model = open_clip.model.CLIP(**tiny_clip_arch())
    model.load_state_dict(CLIP.clip.state_dict())
    return model.eval()


def test_frozen_and_dims():
    assert CLIP.text_width == 48 and CLIP.vision_width == 64
    assert CLIP.text_layers == 3 and CLIP.vision_layers == 3 and CLIP.embed_dim == 32
    assert not any(p.requires_grad for p in CLIP.parameters())
    CLIP.train()
    assert not CLIP.clip.training


def test_no_prompts_equals_open_clip():
    images = torch.randn(2, 3, 32, 32)
    tokens = CLIP.tokenize(['a photo of a dog.', 'a much longer sentence about a red fox.'])
    reference = plain_clip()
    with torch.no_grad():
        close(CLIP.encode_image(images), reference.encode_image(images), 'image')
        # the text tower stops at the last EOT (summation order differs)
        close(CLIP.encode_text(tokens), reference.encode_text(tokens), 'text')


def test_truncation_is_exact():
    """Tokens after the last EOT cannot matter (causal mask + EOT pooling)."""
    tokens = CLIP.tokenize(['X X X a cat.', 'X X X a small grey cat on a mat.'])
    prompts = [torch.randn(N_CTX, 48) for _ in range(3)]
    model = plain_clip()
    with torch.no_grad():
        x = model.token_embedding(tokens)
        x[:, 1:1 + N_CTX] = prompts[0]
        x = x + model.positional_embedding
        for i, block in enumerate(model.transformer.resblocks):
            if i > 0:
                x[:, 1:1 + N_CTX] = prompts[i]
            x = block(x, attn_mask=model.attn_mask)  # full 77 tokens
        x = model.ln_final(x)
        full = x[torch.arange(2), tokens.argmax(-1)] @ model.text_projection
        close(CLIP.encode_text(tokens, prompts), full, 'text')


def test_text_prompt_positions():
    """Only positions 1..n_ctx are replaced: the prompts change the result,
    the placeholder words do not."""
    prompts = [torch.randn(N_CTX, 48) for _ in range(3)]
    a = CLIP.tokenize(['X X X dog.'])
    b = CLIP.tokenize(['Y Z W dog.'])
    with torch.no_grad():
        torch.testing.assert_close(CLIP.encode_text(a, prompts), CLIP.encode_text(b, prompts))
        assert not torch.allclose(CLIP.encode_text(a), CLIP.encode_text(b))
        deep = [None, torch.randn(N_CTX, 48)]
        assert not torch.allclose(CLIP.encode_text(a, deep), CLIP.encode_text(a))
        # class-specific prompts [C, n, W] broadcast like shared ones
        both = CLIP.tokenize(['X X X dog.', 'X X X cat.'])
        shared = CLIP.encode_text(both, prompts)
        per_class = CLIP.encode_text(both, [p.expand(2, -1, -1) for p in prompts])
        torch.testing.assert_close(shared, per_class)


def test_eot_pooling():
    tokens = CLIP.tokenize(['a dog.'])
    with torch.no_grad():
        x = CLIP.embed_tokens(tokens) + CLIP.clip.positional_embedding
        x = CLIP.clip.transformer(x, attn_mask=CLIP.clip.attn_mask)
        x = CLIP.clip.ln_final(x)
        eot = int(tokens.argmax())
        assert tokens[0, eot] == 49407
        close(CLIP.encode_text(tokens)[0], x[0, eot] @ CLIP.clip.text_projection, 'text')


def test_visual_prompt_positions():
    """V[0] is appended after the positional embedding and before ln_pre;
    deep prompts replace the last n tokens before their layer."""
    images = torch.randn(2, 3, 32, 32)
    prompts = [torch.randn(N_CTX, 64) for _ in range(3)]
    visual = plain_clip().visual
    with torch.no_grad():
        x = visual.conv1(images).flatten(2).transpose(1, 2)
        x = torch.cat([visual.class_embedding.expand(2, 1, -1), x], 1) + visual.positional_embedding
        x = torch.cat([x, prompts[0].expand(2, -1, -1)], 1)
        x = visual.ln_pre(x)
        for i, block in enumerate(visual.transformer.resblocks):
            if i > 0:
                x = torch.cat([x[:, :-N_CTX], prompts[i].expand(2, -1, -1)], 1)
            x = block(x)
        expected = visual.ln_post(x[:, 0]) @ visual.proj
        close(CLIP.encode_image(images, prompts), expected, 'image')
        assert not torch.allclose(CLIP.encode_image(images, prompts), CLIP.encode_image(images))


def assert_same_clip_weights(expected, got):
    # .clip: PromptedCLIP.state_dict() itself is empty (lean checkpoints)
    expected, got = expected.clip.state_dict(), got.clip.state_dict()
    assert expected.keys() == got.keys() and len(expected) > 0
    for name, tensor in expected.items():
        assert torch.equal(tensor, got[name]), name


def test_local_checkpoint_and_errors(tmp_path):
    path = tmp_path / 'clip.pt'
    state = dict(CLIP.clip.state_dict(), input_resolution=torch.tensor(32))
    torch.save(state, path)
    loaded = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(path)))
    assert_same_clip_weights(CLIP, loaded)
    with pytest.raises(FileNotFoundError, match='not found'):
        MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(tmp_path / 'x.pt')))
    wrong = tiny_clip_arch(embed_dim=16)
    with pytest.raises(ValueError, match='does not fit'):
        MODELS.build(dict(type='PromptedCLIP', arch=wrong, pretrained=str(path)))
    with pytest.raises(ValueError, match='Unknown open_clip architecture'):
        MODELS.build(dict(type='PromptedCLIP', arch='ViT-Nope', pretrained=None))
    with pytest.raises(ValueError, match='neither an open_clip pretrained tag'):
        MODELS.build(dict(type='PromptedCLIP', arch='ViT-B-16', pretrained='no-such-tag'))


def test_named_architecture_random_weights():
    """Any open_clip name builds (random weights), dimensions read from it."""
    clip = MODELS.build(dict(type='PromptedCLIP', arch='ViT-B-32', pretrained=None))
    assert (clip.text_width, clip.vision_width, clip.embed_dim) == (512, 768, 512)
    assert clip.text_layers == 12 and clip.context_length == 77


def test_openai_torchscript_archive(tmp_path):
    """OpenAI's released checkpoints are TorchScript archives: read their
    weights with torch.jit.load (no pickled Python), load strictly."""
    path = tmp_path / 'clip_jit.pt'
    torch.jit.save(torch.jit.script(plain_clip()), str(path))
    loaded = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=str(path)))
    assert_same_clip_weights(CLIP, loaded)
