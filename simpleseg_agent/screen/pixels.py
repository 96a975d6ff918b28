"""The pixels of a screenshot: colour views and crops, the colour around a shape, where colours change.

The screen's perception (element boxes, their kinds, icon glyphs) reads a shape's pixels through these.

Example:
    >>> import numpy as np
    >>> img = np.zeros((4, 6, 3), np.uint8); img[:, 3:] = 255
    >>> edge_map(img).astype(int)[0].tolist(), commonest_color(as_rgb(img)).tolist()
    ([0, 0, 1, 1, 0, 0], [0, 0, 0])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ImageError

#: Two neighbouring pixels whose colours differ by more than this (0-255, any channel) make an edge.
DEFAULT_EDGE_THRESHOLD = 8


def rgb_view(image) -> np.ndarray:
    """The image's RGB channels as they are stored (no copy for an RGB or RGBA array): the functions that
    look at one shape's pixels crop first and convert the crop, not the whole screen, for every shape.

    Example:
        >>> import numpy as np
        >>> rgb_view(np.zeros((4, 6, 4), np.uint8)).shape, rgb_view(np.zeros((4, 6), np.uint8)).shape
        ((4, 6, 3), (4, 6, 3))
    """
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ImageError(f"snapping needs an (H, W, 3) image of at least 2 x 2 px, got shape {arr.shape}")
    return arr[:, :, :3]


def as_rgb(image) -> np.ndarray:
    """:func:`rgb_view` as ``int16``, so that colour differences do not wrap around.

    Example:
        >>> import numpy as np
        >>> as_rgb(np.zeros((2, 2, 3), np.uint8)).dtype
        dtype('int16')
    """
    return rgb_view(image).astype(np.int16)


def commonest_color(pixels: np.ndarray) -> np.ndarray:
    """The commonest colour among ``pixels`` (any shape ending in 3 channels).

    Example:
        >>> import numpy as np
        >>> commonest_color(np.array([[1, 2, 3], [9, 9, 9], [1, 2, 3]], np.int16)).tolist()
        [1, 2, 3]
    """
    flat = pixels.reshape(-1, 3)
    # one integer per colour (sorted as the colours are): np.unique of rows is many times slower
    packed = (flat[:, 0].astype(np.int64) << 16) | (flat[:, 1].astype(np.int64) << 8) | flat[:, 2].astype(np.int64)
    values, counts = np.unique(packed, return_counts=True)
    best = int(values[int(np.argmax(counts))])
    return np.array([(best >> 16) & 255, (best >> 8) & 255, best & 255], dtype=pixels.dtype)


def ring_color(crop: np.ndarray) -> np.ndarray:
    """The commonest colour of a crop's outermost ring of pixels: the colour around what it holds.

    Example:
        >>> import numpy as np
        >>> crop = np.full((5, 5, 3), 200, np.int16); crop[1:4, 1:4] = 0
        >>> ring_color(crop).tolist()
        [200, 200, 200]
    """
    return commonest_color(np.concatenate([crop[0], crop[-1], crop[1:-1, 0], crop[1:-1, -1]]))


def edge_map(image, *, threshold: int = DEFAULT_EDGE_THRESHOLD) -> np.ndarray:
    """``(H, W)`` bool: pixels whose colour differs from the pixel right of or below them by more than
    ``threshold`` in some channel (both pixels of such a pair are marked).

    Example:
        >>> import numpy as np
        >>> img = np.zeros((4, 6, 3), np.uint8); img[:, 3:] = 255
        >>> edge_map(img).astype(int)[0].tolist()
        [0, 0, 1, 1, 0, 0]
    """
    rgb = as_rgb(image)
    dx = np.abs(np.diff(rgb, axis=1)).max(axis=2) > threshold
    dy = np.abs(np.diff(rgb, axis=0)).max(axis=2) > threshold
    edges = np.zeros(rgb.shape[:2], bool)
    edges[:, :-1] |= dx
    edges[:, 1:] |= dx
    edges[:-1, :] |= dy
    edges[1:, :] |= dy
    return edges


def inner_crop(box: Sequence[float], rgb: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The pixels inside a solid ``box`` (``xyxy_px``), its border (an eighth of its height, at least 2 px)
    left out, as ``int16``, and the crop's top-left corner (x, y) on the screen.

    Example:
        >>> import numpy as np
        >>> crop, x, y = inner_crop((10, 10, 40, 30), np.zeros((50, 50, 3), np.uint8))
        >>> crop.shape, x, y
        ((16, 26, 3), 12, 12)
    """
    x0, y0, x1, y1 = (int(v) for v in box)
    m = max(2, int(round(0.12 * (y1 - y0))))
    return rgb[y0 + m : y1 - m, x0 + m : x1 - m].astype(np.int16), x0 + m, y0 + m


def ringed_crop(shape_xyxy_px: Sequence[float], rgb: np.ndarray) -> np.ndarray:
    """The pixels of a shape's box (``xyxy_px`` on pixel edges) and the ring of pixels just outside it, as
    ``int16``; cut by the image's edges.

    Example:
        >>> import numpy as np
        >>> ringed_crop((9.5, 9.5, 20.5, 15.5), np.zeros((50, 50, 3), np.uint8)).shape
        (8, 13, 3)
    """
    x0, y0, x1, y1 = (float(v) for v in shape_xyxy_px)
    h, w = rgb.shape[:2]
    c0, r0 = max(int(np.floor(x0)), 0), max(int(np.floor(y0)), 0)
    c1, r1 = min(int(np.ceil(x1)) + 1, w), min(int(np.ceil(y1)) + 1, h)
    return rgb[r0:r1, c0:c1].astype(np.int16)
