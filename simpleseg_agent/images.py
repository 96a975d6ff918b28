"""Reading images from what users have: a path, bytes, a PIL image or a NumPy array.

Arrays are taken as **RGB** (``(H, W, 3)`` uint8) or grayscale (``(H, W)``) unless
``channel_order="BGR"`` says they come from OpenCV. Files and bytes are turned upright by their
EXIF orientation, as model processors and photo viewers do, so coordinates refer to the image as
it is seen.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Literal, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, Image.Image, np.ndarray]


def _open(source, what: str) -> Image.Image:
    try:
        with Image.open(source) as im:
            im.load()
            return ImageOps.exif_transpose(im).convert("RGB")
    except FileNotFoundError:
        raise ImageError(f"cannot read image {what}: no such file") from None
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageError(f"cannot read image {what}: {exc}") from None


def load_image(image: ImageInput, *, channel_order: Literal["RGB", "BGR"] = "RGB") -> Image.Image:
    """Any supported image input as an RGB PIL image at its original resolution.

    Example:
        >>> import numpy as np
        >>> load_image(np.zeros((48, 64, 3), np.uint8)).size
        (64, 48)
        >>> load_image(np.array([[[255, 0, 0]]], np.uint8), channel_order="BGR").getpixel((0, 0))
        (0, 0, 255)
    """
    if channel_order not in ("RGB", "BGR"):
        raise ImageError(f"channel_order must be 'RGB' or 'BGR', got {channel_order!r}")
    if isinstance(image, (str, os.PathLike)):
        return _open(Path(image), f"file '{Path(image)}'")
    if isinstance(image, (bytes, bytearray)):
        if not image:
            raise ImageError("image bytes are empty")
        return _open(io.BytesIO(bytes(image)), f"from {len(image)} bytes")
    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else image.convert("RGB")
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise ImageError(f"image array: expected dtype uint8, got {image.dtype} with shape {image.shape}")
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[:, :, :3]
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        elif not (image.ndim == 3 and image.shape[2] == 3):
            raise ImageError(f"image array: expected shape (H, W, 3) RGB or (H, W) gray, got {image.shape}")
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise ImageError(f"image array: expected a non-empty image, got shape {image.shape}")
        if channel_order == "BGR":
            image = image[:, :, ::-1]
        return Image.fromarray(np.ascontiguousarray(image), mode="RGB")
    raise ImageError(f"image: expected a path, bytes, a PIL image or a numpy array, got {type(image).__name__}")


def to_rgb_array(image: ImageInput) -> np.ndarray:
    """The image as a new ``(H, W, 3)`` uint8 RGB array.

    Example:
        >>> to_rgb_array(np.zeros((2, 3), np.uint8)).shape
        (2, 3, 3)
    """
    return np.array(load_image(image), dtype=np.uint8)
