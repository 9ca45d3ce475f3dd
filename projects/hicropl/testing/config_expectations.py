"""What a method config should hold on another backbone than the one its
hyper-parameters were published for."""
from mmengine.config import Config

PUBLISHED_LAYERS = 12  # ViT-B/16, the towers of every published setting


def scaled_depth(cfg: Config, published: int) -> int:
    """The prompt depth of ``cfg``: ``published`` on a 12-layer tower
    (an open_clip model name), the same fraction of the layers of a tower
    given by a config dict (the world CLIP's 4 layers: 9 -> 3, 3 -> 1)."""
    arch = cfg.model.backbone.arch
    if isinstance(arch, str):
        return published
    layers = arch['vision_cfg']['layers']
    return max(1, round(published * layers / PUBLISHED_LAYERS))
