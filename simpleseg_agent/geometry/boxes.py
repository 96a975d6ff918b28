"""Axis-aligned boxes in pixels (``xyxy_px``, end exclusive): growing them, rounding their corners, their overlap.

Example:
    >>> grown_box((10.0, 20.0, 50.0, 30.0), 0.15, (100, 100))
    (8.5, 18.5, 51.5, 31.5)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Points per rounded corner of an outline (:func:`~simpleseg_agent.geometry.boxes.rounded_box_polygon`).
CORNER_SEGMENTS = 4


def xyxy_iou(a, b) -> float:
    """The IoU of two boxes ``(x0, y0, x1, y1)`` as plain floats (0 when their union is empty): the
    unchecked scalar form of :func:`~simpleseg_agent.geometry.box_iou`, for loops over many boxes.

    Example:
        >>> xyxy_iou((0, 0, 2, 2), (1, 0, 3, 2))
        0.3333333333333333
    """
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def grown_box(shape_xyxy_px: Sequence[float], grow: float, resolution_wh: tuple[int, int]) -> tuple[float, float, float, float]:
    """``shape_xyxy_px`` grown by ``grow`` times its short side on every side, clipped to the image.

    Example:
        >>> grown_box((10.0, 20.0, 50.0, 30.0), 0.15, (100, 100))
        (8.5, 18.5, 51.5, 31.5)
    """
    x0, y0, x1, y1 = (float(v) for v in shape_xyxy_px)
    d = grow * min(x1 - x0, y1 - y0)
    w, h = resolution_wh
    return (max(0.0, x0 - d), max(0.0, y0 - d), min(float(w), x1 + d), min(float(h), y1 + d))


def rounded_box_polygon(xyxy_px: Sequence[float], corner_px: float, *, segments: int = CORNER_SEGMENTS) -> list[list[float]]:
    """The outline of a box with its corners rounded by ``corner_px`` (capped at half its short side), as
    clockwise points (``xy_px``, y down): ``segments`` chords per corner, or the four corners when the radius
    is under half a pixel.

    Example:
        >>> rounded_box_polygon((0, 0, 10, 4), 0.2)
        [[0.0, 0.0], [10.0, 0.0], [10.0, 4.0], [0.0, 4.0]]
        >>> [[round(x, 2), round(y, 2)] for x, y in rounded_box_polygon((0, 0, 10, 4), 2.0, segments=1)]
        [[8.0, 0.0], [10.0, 2.0], [10.0, 2.0], [8.0, 4.0], [2.0, 4.0], [0.0, 2.0], [0.0, 2.0], [2.0, 0.0]]
    """
    x0, y0, x1, y1 = (float(v) for v in xyxy_px)
    r = max(0.0, min(float(corner_px), (x1 - x0) / 2, (y1 - y0) / 2))
    if r < 0.5:
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    points: list[list[float]] = []
    for cx, cy, start in ((x1 - r, y0 + r, -np.pi / 2), (x1 - r, y1 - r, 0.0), (x0 + r, y1 - r, np.pi / 2),
                          (x0 + r, y0 + r, np.pi)):
        for k in range(segments + 1):
            a = start + k * (np.pi / 2) / segments
            points.append([float(cx + r * np.cos(a)), float(cy + r * np.sin(a))])
    return points
