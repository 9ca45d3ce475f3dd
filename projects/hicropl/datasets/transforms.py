"""Image loading that reports broken files by path."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile

from mmpretrain.registry import TRANSFORMS
from ..errors import UserError

__all__ = ['ImageLoadError', 'SafeLoadImageFromFile']


class ImageLoadError(UserError, OSError):
    """An image file is missing, unreadable, truncated or not an image.

    Args:
        message (str): What went wrong, naming the file.
        path (str, optional): The file.
    """

    def __init__(self, message: str, path: Optional[str] = None):
        super().__init__(message)
        self.path = path


@TRANSFORMS.register_module()
class SafeLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` whose errors name the file, and which detects
    truncated files.

    MMCV's transform lets the decoder's own error through (Pillow says
    ``cannot identify image file <_io.BytesIO object at ...>``, without the
    path) and OpenCV decodes a truncated JPEG silently into a partly grey
    image. This transform raises :class:`ImageLoadError` naming the file and
    the reason for a missing or unreadable file, an empty file, data that is
    not an image, or a truncated image. It decodes with Pillow by default,
    which refuses truncated files (unless ``PIL.ImageFile.
    LOAD_TRUNCATED_IMAGES`` was switched on); with ``imdecode_backend='cv2'``
    truncation is not detected.

    The policy for a broken image is set by the dataset: fail fast (the
    default), or skip and count it with
    ``dict(type='FaultTolerantDataset', on_error='skip', dataset=...)``.

    Args:
        imdecode_backend (str): ``'pillow'`` (default) or another MMCV
            decoding backend.
        **kwargs: Other arguments of :class:`mmcv.transforms.LoadImageFromFile`
            (``color_type``, ``to_float32``, ``backend_args``,
            ``ignore_empty``).
    """

    def __init__(self, imdecode_backend: str = 'pillow', **kwargs):
        super().__init__(imdecode_backend=imdecode_backend, **kwargs)

    def _read(self, filename: str) -> bytes:
        if self.file_client_args is not None:
            client = fileio.FileClient.infer_client(self.file_client_args,
                                                    filename)
            return client.get(filename)
        return fileio.get(filename, backend_args=self.backend_args)

    def transform(self, results: dict) -> Optional[dict]:
        """Load the image at ``results['img_path']``.

        Results that already hold a decoded ``img`` and no ``img_path`` pass
        through unchanged: MMPretrain's ``ImageClassificationInferencer``
        decodes inputs itself and only removes a step named exactly
        ``LoadImageFromFile`` from the config's pipeline.

        Returns:
            dict: ``results`` with ``img`` ``[H, W, C]`` (uint8, BGR unless
            ``color_type`` says otherwise), ``img_shape`` and ``ori_shape``;
            None for a broken file when ``ignore_empty`` is set.

        Raises:
            ImageLoadError: The file cannot be read or decoded.
        """
        if 'img_path' not in results and results.get('img') is not None:
            return results
        filename = str(results['img_path'])
        try:
            try:
                data = self._read(filename)
            except FileNotFoundError as err:
                raise ImageLoadError(
                    f'Image file not found: {filename}. Restore it, or '
                    'remove it from the split file.', filename) from err
            except OSError as err:
                raise ImageLoadError(
                    f'Cannot read image file {filename}: {err}.',
                    filename) from err
            if not data:
                raise ImageLoadError(
                    f'Image file is empty: {filename}. Replace it, or remove '
                    'it from the split file.', filename)
            try:
                img = mmcv.imfrombytes(
                    data, flag=self.color_type, backend=self.imdecode_backend)
            except Exception as err:  # decoder errors vary by backend
                raise ImageLoadError(
                    f'Cannot decode image {filename} ({len(data)} bytes): '
                    f'{type(err).__name__}: {err}. The file is truncated or '
                    'not an image; replace it, or remove it from the split '
                    'file.', filename) from err
            if img is None:
                raise ImageLoadError(
                    f'Cannot decode image {filename} ({len(data)} bytes): '
                    'the file is truncated or not an image; replace it, or '
                    'remove it from the split file.', filename)
        except ImageLoadError:
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
