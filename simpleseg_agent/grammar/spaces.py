"""Coordinate spaces that models answer in, and the one converter to and from normalized coordinates.

Known conventions:

* ``CoordSpace.NORM`` (``"norm"``) — SimpleSeg: ``x / W`` and ``y / H`` of the original image, in ``[0, 1]``.
* ``CoordSpace.THOUSAND`` (``"1000"``) — Qwen2-VL, Qwen3-VL, OS-Atlas: the same fractions times 1000,
  in ``[0, 1000]``; also the space of this package's compact answer style (integers 0..999).
* ``CoordSpace.PIXELS`` (``"px"``) — Qwen2.5-VL base: absolute pixels of the image *the model saw*
  (often the processor-resized image, not the original), so it needs that image's ``resolution_wh``.

Arrays hold points on the last axis: ``(..., 2)`` is ``[x, y]``; ``(..., 4)`` is a box ``[x1, y1, x2, y2]``,
converted as two points.

Example:
    >>> to_norm([[960, 540]], "px", resolution_wh=(1920, 1080)).tolist()
    [[0.5, 0.5]]
    >>> from_norm([0.1, 0.2, 0.3, 0.4], CoordSpace.THOUSAND).tolist()
    [100.0, 200.0, 300.0, 400.0]
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import numpy as np

from ..errors import GeometryError

__all__ = ["CoordSpace", "coerce_space", "space_scale_xy", "to_norm", "from_norm"]


class CoordSpace(str, Enum):
    """The coordinate space of numbers in a model answer (the value is the accepted string form).

    Example:
        >>> CoordSpace("1000") is CoordSpace.THOUSAND, CoordSpace.PIXELS.value
        (True, 'px')
    """

    NORM = "norm"
    THOUSAND = "1000"
    PIXELS = "px"


def coerce_space(space: CoordSpace | str) -> CoordSpace:
    """Return ``space`` as a :class:`CoordSpace`, accepting the enum or its string value.

    Raises ``ValueError`` (a programming error, not a model failure) for an unknown name.

    Example:
        >>> coerce_space("norm")
        <CoordSpace.NORM: 'norm'>
    """
    if isinstance(space, CoordSpace):
        return space
    try:
        return CoordSpace(space)
    except ValueError:
        names = ", ".join(repr(s.value) for s in CoordSpace)
        raise ValueError(f"unknown coordinate space {space!r}; expected a CoordSpace or one of {names}") from None


def space_scale_xy(space: CoordSpace | str, resolution_wh: tuple[float, float] | None = None) -> tuple[float, float]:
    """Per-axis factor ``(sx, sy)`` such that ``value_in_space = value_norm * (sx, sy)``.

    Raises:
        GeometryError: ``space`` is pixels and ``resolution_wh`` is missing, not two numbers, not
            finite or not positive.

    Example:
        >>> space_scale_xy("px", (640, 480)), space_scale_xy("1000")
        ((640.0, 480.0), (1000.0, 1000.0))
    """
    space = coerce_space(space)
    if space is CoordSpace.NORM:
        return (1.0, 1.0)
    if space is CoordSpace.THOUSAND:
        return (1000.0, 1000.0)
    return _check_resolution_wh(resolution_wh)


def _check_resolution_wh(resolution_wh: Any) -> tuple[float, float]:
    hint = "pass resolution_wh=(width, height) of the image the model saw, e.g. (1280, 720)"
    if resolution_wh is None:
        raise GeometryError(f"coordinate space 'px' (absolute pixels) needs resolution_wh; {hint}")
    try:
        w, h = (float(v) for v in resolution_wh)
    except (TypeError, ValueError):
        raise GeometryError(
            f"resolution_wh must be two numbers (width, height), got {resolution_wh!r}; {hint}"
        ) from None
    if not (math.isfinite(w) and math.isfinite(h) and w > 0 and h > 0):
        raise GeometryError(f"resolution_wh must be finite and positive, got {resolution_wh!r}; {hint}")
    return (w, h)


def _scale_array(values: Any, scale_xy: tuple[float, float], name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise GeometryError(f"{name} must be a numeric array of shape (..., 2) or (..., 4)") from None
    if arr.ndim == 0 or arr.shape[-1] not in (2, 4):
        raise GeometryError(f"{name} must have shape (..., 2) points or (..., 4) boxes, got shape {arr.shape}")
    scale = np.tile(np.asarray(scale_xy, dtype=np.float64), arr.shape[-1] // 2)
    return arr, scale


def to_norm(
    values_xy: Any, space: CoordSpace | str, resolution_wh: tuple[float, float] | None = None
) -> np.ndarray:
    """Convert points ``(..., 2)`` or boxes ``(..., 4)`` from ``space`` to normalized ``[0, 1]`` coordinates.

    Returns a new float64 array of the same shape. Values are converted, not validated or clipped.

    Raises:
        GeometryError: wrong shape, or pixels without a valid ``resolution_wh``.

    Example:
        >>> to_norm([500, 250], "1000").tolist()
        [0.5, 0.25]
        >>> to_norm([[0, 0, 320, 240]], CoordSpace.PIXELS, resolution_wh=(640, 480)).tolist()
        [[0.0, 0.0, 0.5, 0.5]]
    """
    scale_xy = space_scale_xy(space, resolution_wh)
    arr, scale = _scale_array(values_xy, scale_xy, "values_xy")
    return arr / scale


def from_norm(
    values_xy_norm: Any, space: CoordSpace | str, resolution_wh: tuple[float, float] | None = None
) -> np.ndarray:
    """Convert normalized points ``(..., 2)`` or boxes ``(..., 4)`` into ``space`` (inverse of :func:`to_norm`).

    Example:
        >>> from_norm([[0.5, 0.25]], "px", resolution_wh=(200, 100)).tolist()
        [[100.0, 25.0]]
    """
    scale_xy = space_scale_xy(space, resolution_wh)
    arr, scale = _scale_array(values_xy_norm, scale_xy, "values_xy_norm")
    return arr * scale
