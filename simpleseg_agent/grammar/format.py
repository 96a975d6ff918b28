"""Polygons, boxes and points -> answer text, in the reference style or a compact integer style.

Styles:

* ``"reference"`` — the SimpleSeg format: normalized coordinates with ``decimals`` fixed decimals,
  ``", "`` separators, e.g. ``[[[0.925, 0.400], [0.916, 0.388]]]``. Parse it with ``space="norm"``.
* ``"compact"`` — integers on the grid ``0 .. 10**decimals - 1`` (``round(v * 10**decimals)``, clipped
  to the top of the grid), no spaces: ``[[[925,400],[916,388]]]``. With the default ``decimals=3`` this
  is the 0..999 grid: parse it with ``space="1000"``, which decodes grid value ``g`` as ``g / 1000``.
  Decoding is deliberately the plain inverse (not the cell centre ``(g + 0.5) / 1000``), so a value
  already on the 3-decimal grid survives a round trip exactly; the error is at most 0.0005, except for
  values above 0.9995, which all map to 999 (error at most 0.001).

``numbers="shortest"`` (reference style only) prints each rounded value as Python prints a float, the way
the reference data script writes its targets (``np.round(p, 3).tolist()``): ``0.25``, ``0.4``, ``1.0``
instead of ``0.250``, ``0.400``, ``1.000`` (what the released SimpleSeg checkpoints were trained on).

Values are rounded half-to-even on the grid (``numpy.round``); ``-0.0`` prints as ``0.000``. Every
rounded value must lie in ``[0, 1]``: clip beforehand if your coordinates may leave the image.

Example:
    >>> import numpy as np
    >>> format_polygons([np.array([[0.925, 0.4], [0.916, 0.388], [0.916, 0.456]])])
    '[[[0.925, 0.400], [0.916, 0.388], [0.916, 0.456]]]'
    >>> format_polygons([[[0.925, 0.4], [0.916, 0.388], [1.0, 0.456]]], style="compact")
    '[[[925,400],[916,388],[999,456]]]'
    >>> wrap_answer(format_point([0.5, 0.25]), ANSWER_TEMPLATES[3])
    'It is at [0.500, 0.250].'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..errors import GeometryError

__all__ = ["ANSWER_TEMPLATES", "AnswerStyle", "NumberStyle", "format_polygons", "format_box", "format_point", "wrap_answer"]

AnswerStyle = Literal["reference", "compact"]
#: How a reference-style number is printed: ``"fixed"`` (``0.250``) or ``"shortest"`` (``0.25``, as Python prints it).
NumberStyle = Literal["fixed", "shortest"]

#: Answer phrases of the reference method; ``{a}`` stands for the coordinate text.
ANSWER_TEMPLATES: tuple[str, ...] = (
    "{a}.",
    "Sure, you can find it at {a}.",
    "It is found at {a}.",
    "It is at {a}.",
)


def _check_options(decimals: int, style: str, numbers: str = "fixed") -> None:
    if style not in ("reference", "compact"):
        raise ValueError(f"style must be 'reference' or 'compact', got {style!r}")
    if numbers not in ("fixed", "shortest") or (numbers == "shortest" and style != "reference"):
        raise ValueError(f"numbers must be 'fixed' or 'shortest' (the latter with style='reference'), "
                         f"got {numbers!r} with style {style!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or not 1 <= decimals <= 9:
        raise ValueError(f"decimals must be an integer in [1, 9], got {decimals!r}")


def _as_float_array(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise GeometryError(f"{name} must be numeric, got {type(values).__name__}") from None
    if not np.all(np.isfinite(arr)):
        raise GeometryError(f"{name} contains NaN or infinite values")
    return arr


def _to_grid(arr: np.ndarray, decimals: int, style: str, name: str, numbers: str = "fixed") -> list[str]:
    """Round onto the grid, check ``[0, 1]``, and return one string per value (flattened)."""
    rounded = np.round(arr, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    flat = rounded.ravel()
    if flat.size and (flat.min() < 0.0 or flat.max() > 1.0):
        bad = flat[(flat < 0.0) | (flat > 1.0)][0]
        raise GeometryError(
            f"{name} has a value {bad:g} outside [0, 1] after rounding to {decimals} decimals; "
            "normalized coordinates must lie in the image (clip them first, e.g. np.clip(v, 0, 1))"
        )
    if style == "reference" and numbers == "shortest":
        return [repr(v) for v in flat.tolist()]
    if style == "reference":
        return [f"{v:.{decimals}f}" for v in flat.tolist()]
    top = 10**decimals
    grid = np.clip(np.round(arr.ravel() * top), 0, top - 1).astype(np.int64)
    return [str(g) for g in grid.tolist()]


def _seps(style: str) -> str:
    return ", " if style == "reference" else ","


def format_polygons(
    polygons_xy_norm: Sequence[Any], decimals: int = 3, *, style: AnswerStyle = "reference",
    numbers: NumberStyle = "fixed",
) -> str:
    """Write polygons (a sequence of ``(N, 2)`` normalized ``[x, y]`` arrays) as answer text.

    Raises:
        GeometryError: no polygon, a polygon that is not ``(N, 2)`` with ``N >= 1``, a non-finite value,
            or a value outside ``[0, 1]`` after rounding.

    Example:
        >>> format_polygons([[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8]]], decimals=2)
        '[[[0.10, 0.20], [0.30, 0.40], [0.50, 0.60]], [[0.70, 0.80]]]'
        >>> format_polygons([[[0.25, 0.4], [1.0, 0.1234], [0.5, 0.6]]], numbers="shortest")
        '[[[0.25, 0.4], [1.0, 0.123], [0.5, 0.6]]]'
    """
    _check_options(decimals, style, numbers)
    if isinstance(polygons_xy_norm, np.ndarray) and polygons_xy_norm.ndim == 2:
        raise GeometryError(
            f"polygons_xy_norm must be a sequence of (N, 2) arrays, got one array of shape "
            f"{polygons_xy_norm.shape}; wrap a single polygon in a list"
        )
    if len(polygons_xy_norm) == 0:
        raise GeometryError("polygons_xy_norm is empty; there is nothing to format")
    sep = _seps(style)
    parts: list[str] = []
    for i, poly in enumerate(polygons_xy_norm):
        name = f"polygon {i}"
        arr = _as_float_array(poly, name)
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
            raise GeometryError(f"{name} must have shape (N, 2) with N >= 1, got shape {arr.shape}")
        values = _to_grid(arr, decimals, style, name, numbers)
        points = [f"[{values[k]}{sep}{values[k + 1]}]" for k in range(0, len(values), 2)]
        parts.append("[" + sep.join(points) + "]")
    return "[" + sep.join(parts) + "]"


def _format_flat(values_norm: Any, size: int, name: str, decimals: int, style: str, numbers: str = "fixed") -> str:
    _check_options(decimals, style, numbers)
    arr = _as_float_array(values_norm, name)
    if arr.shape != (size,):
        raise GeometryError(f"{name} must have shape ({size},), got shape {arr.shape}")
    return "[" + _seps(style).join(_to_grid(arr, decimals, style, name, numbers)) + "]"


def format_box(xyxy_norm: Any, decimals: int = 3, *, style: AnswerStyle = "reference",
               numbers: NumberStyle = "fixed") -> str:
    """Write a normalized box ``[x1, y1, x2, y2]`` (shape ``(4,)``) as answer text, values as given.

    Example:
        >>> format_box([0.1, 0.2, 0.3, 0.4]), format_box([0.1, 0.2, 0.3, 0.4], style="compact")
        ('[0.100, 0.200, 0.300, 0.400]', '[100,200,300,400]')
        >>> format_box([0.1, 0.2, 0.3, 0.4], numbers="shortest")
        '[0.1, 0.2, 0.3, 0.4]'
    """
    return _format_flat(xyxy_norm, 4, "xyxy_norm", decimals, style, numbers)


def format_point(xy_norm: Any, decimals: int = 3, *, style: AnswerStyle = "reference",
                 numbers: NumberStyle = "fixed") -> str:
    """Write a normalized point ``[x, y]`` (shape ``(2,)``) as answer text.

    Example:
        >>> format_point([0.5, 0.25]), format_point([-0.0001, 0.25], style="compact")
        ('[0.500, 0.250]', '[0,250]')
        >>> format_point([0.5, 0.25], numbers="shortest")
        '[0.5, 0.25]'
    """
    return _format_flat(xy_norm, 2, "xy_norm", decimals, style, numbers)


def wrap_answer(text: str, template: str = ANSWER_TEMPLATES[0]) -> str:
    """Put coordinate text into an answer phrase; ``template`` must contain ``{a}`` exactly once.

    Example:
        >>> wrap_answer("[0.500, 0.250]", "Sure, you can find it at {a}.")
        'Sure, you can find it at [0.500, 0.250].'
    """
    if template.count("{a}") != 1:
        raise ValueError(f"template must contain '{{a}}' exactly once, got {template!r}")
    return template.replace("{a}", text)
