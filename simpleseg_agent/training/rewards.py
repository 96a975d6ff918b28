"""Rewards for GSPO / GRPO: plain callables with TRL's reward signature, testable without a trainer.

Each reward is ``f(completions, **columns) -> list[float | None]``: ``completions`` are the
generated answers (strings, or conversational ``[{"role": "assistant", "content": ...}]`` lists as
TRL passes them), and the dataset's ground-truth columns arrive as keyword arguments, one value
per completion (TRL repeats each row for every completion of its group):

* ``task``: ``"text2mask"``, ``"point2mask"``, ``"box2mask"`` (polygon answers), ``"text2box"``,
  ``"point2box"`` (box answers) or ``"text2point"`` (point answers); missing means polygons;
* ``gt_polygons``: the object's outer rings, normalized; ``gt_xyxy``; ``gt_point``; ``image_wh``.

Terms: :func:`iou_reward`, :func:`centroid_reward`, :func:`format_reward`, and the optional
:func:`boundary_f_reward` (outline precision / recall within a tolerance).

The reference method's reward: mask IoU (main), a small centroid-distance term, and a format
term; an unparseable answer scores 0 everywhere; no length penalty. :class:`SimpleSegReward`
combines them with configurable weights; each term is also available alone so TRL can log them
separately (``reward_funcs=[iou_reward, centroid_reward, format_reward]``, ``reward_weights=...``).

Example:
    >>> gt = [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]
    >>> answers = ["[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]", "no idea", "[[[0.3, 0.1], [0.7, 0.1], [0.7, 0.5], [0.3, 0.5]]]"]
    >>> [round(v, 4) for v in iou_reward(answers, gt_polygons=[gt] * 3, image_wh=[(100, 100)] * 3)]
    [1.0, 0.0, 0.3333]
    >>> format_reward(answers, gt_polygons=[gt] * 3)
    [1.0, 0.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import GeometryError, ParseError
from ..geometry import Region, box_iou, point_in_region, region_iou_batch
from ..grammar import ParsedAnswer, parse_answer

POLYGON_TASKS = frozenset({"text2mask", "point2mask", "box2mask", "mask"})
BOX_TASKS = frozenset({"text2box", "point2box", "box"})
POINT_TASKS = frozenset({"text2point", "point"})

#: Largest side (pixels) at which IoU is rasterized; bigger images are measured at this scale.
DEFAULT_MAX_SIDE = 1024


def completion_text(completion: Any) -> str:
    """The answer text of a completion as TRL passes it (a string or a list of chat messages).

    Example:
        >>> completion_text([{"role": "assistant", "content": "[0.5, 0.5]"}])
        '[0.5, 0.5]'
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return completion_text(completion.get("content", ""))
    if isinstance(completion, Sequence):
        parts = []
        for item in completion:
            if isinstance(item, dict) and item.get("type") == "text":
                parts.append(str(item.get("text", "")))
            elif isinstance(item, dict):
                parts.append(completion_text(item.get("content", "")))
            else:
                parts.append(str(item))
        return "".join(parts)
    return str(completion)


def _answer_kind(task: str | None) -> str:
    if task is None or task in POLYGON_TASKS:
        return "polygons"
    if task in BOX_TASKS:
        return "box"
    if task in POINT_TASKS:
        return "point"
    raise ValueError(f"unknown task {task!r}; expected one of {sorted(POLYGON_TASKS | BOX_TASKS | POINT_TASKS)}")


def _column(kwargs: dict, name: str, n: int, default: Any = None) -> list:
    values = kwargs.get(name)
    if values is None:
        return [default] * n
    if len(values) != n:
        raise ValueError(f"column {name!r} has {len(values)} values for {n} completions")
    return list(values)


def _parse(text: str, kind: str, space: str = "norm") -> ParsedAnswer | None:
    try:
        parsed = parse_answer(text, kind=kind, space=space)
    except ParseError:
        return None
    return parsed


def _capped_wh(image_wh: Any, max_side: int) -> tuple[int, int]:
    if image_wh is None:
        return (max_side, max_side)
    w, h = (float(v) for v in image_wh)
    scale = min(1.0, max_side / max(w, h))
    return (max(1, round(w * scale)), max(1, round(h * scale)))


@dataclass
class _Batch:
    """Parsed completions and their ground truth, shared by the terms of one reward call."""

    kinds: list[str]
    parsed: list[ParsedAnswer | None]
    gt_polygons: list
    gt_xyxy: list
    gt_point: list
    image_wh: list

    @classmethod
    def build(cls, completions: Sequence, kwargs: dict, space: str = "norm") -> _Batch:
        n = len(completions)
        tasks = _column(kwargs, "task", n)
        kinds = [_answer_kind(t) for t in tasks]
        parsed = [_parse(completion_text(c), k, space) for c, k in zip(completions, kinds)]
        return cls(
            kinds, parsed, _column(kwargs, "gt_polygons", n), _column(kwargs, "gt_xyxy", n),
            _column(kwargs, "gt_point", n), _column(kwargs, "image_wh", n),
        )


def _gt_region(polygons: Any) -> Region:
    if polygons is None:
        raise GeometryError("a polygon task needs the gt_polygons column")
    return Region.from_polygons(polygons)


def _iou_terms(b: _Batch, max_side: int) -> list[float]:
    out = [0.0] * len(b.kinds)
    poly_idx = [i for i, (k, p) in enumerate(zip(b.kinds, b.parsed)) if k == "polygons" and p is not None]
    if poly_idx:
        # group by rasterization size so one batched kernel call covers each group
        groups: dict[tuple[int, int], list[int]] = {}
        for i in poly_idx:
            groups.setdefault(_capped_wh(b.image_wh[i], max_side), []).append(i)
        for wh, idx in groups.items():
            preds = [b.parsed[i].polygons_xy_norm for i in idx]
            gts = [_gt_region(b.gt_polygons[i]) for i in idx]
            for i, v in zip(idx, region_iou_batch(preds, gts, wh)):
                out[i] = float(v)
    for i, (k, p) in enumerate(zip(b.kinds, b.parsed)):
        if p is None or k == "polygons":
            continue
        if k == "box":
            gt_box = b.gt_xyxy[i] if b.gt_xyxy[i] is not None else _gt_region(b.gt_polygons[i]).xyxy
            x1, y1, x2, y2 = p.xyxy_norm
            box = [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]
            out[i] = float(box_iou(box, gt_box))
        else:  # a point: 1 inside the object, 0 outside
            out[i] = float(point_in_region(p.xy_norm, _gt_region(b.gt_polygons[i])))
    return out


def _centroid_terms(b: _Batch, scale: float) -> list[float]:
    out = []
    for i, (k, p) in enumerate(zip(b.kinds, b.parsed)):
        if p is None:
            out.append(0.0)
            continue
        if k == "polygons":
            try:
                region = Region.from_polygons(p.polygons_xy_norm)
                pred_c = region.centroid
            except GeometryError:
                out.append(0.0)
                continue
        elif k == "box":
            pred_c = np.array([(p.xyxy_norm[0] + p.xyxy_norm[2]) / 2, (p.xyxy_norm[1] + p.xyxy_norm[3]) / 2])
        else:
            pred_c = p.xy_norm
        if b.gt_polygons[i] is not None:
            gt_c = _gt_region(b.gt_polygons[i]).centroid
        elif b.gt_xyxy[i] is not None:
            g = np.asarray(b.gt_xyxy[i], float)
            gt_c = np.array([(g[0] + g[2]) / 2, (g[1] + g[3]) / 2])
        else:
            gt_c = np.asarray(b.gt_point[i], float)
        wh = np.asarray(b.image_wh[i] if b.image_wh[i] is not None else (1, 1), float)
        d = float(np.hypot(*((pred_c - gt_c) * wh)) / np.hypot(*wh))  # fraction of the image diagonal
        out.append(math.exp(-d / scale))
    return out


def _format_terms(b: _Batch) -> list[float]:
    out = []
    for k, p in zip(b.kinds, b.parsed):
        if p is None:
            out.append(0.0)
        elif k == "polygons":
            out.append(0.0 if (p.truncated or p.clamped or p.dropped) else 1.0)
        else:
            out.append(0.0 if p.clamped else 1.0)
    return out


def _boundary(mask: np.ndarray) -> np.ndarray:
    import cv2

    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)) > 0


def _boundary_f_terms(b: _Batch, max_side: int, tolerance: float) -> list[float]:
    import cv2

    from ..geometry import region_to_mask

    out = []
    for k, p, gt, wh in zip(b.kinds, b.parsed, b.gt_polygons, b.image_wh):
        if p is None or k != "polygons":
            out.append(0.0)
            continue
        size = _capped_wh(wh, max_side)
        pb = _boundary(region_to_mask(Region.from_polygons(p.polygons_xy_norm), size))
        gb = _boundary(region_to_mask(_gt_region(gt), size))
        if not pb.any() or not gb.any():
            out.append(float(pb.any() == gb.any()))
            continue
        r = max(1, round(tolerance * float(np.hypot(*size))))  # tolerance as a fraction of the diagonal
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        near_g = cv2.dilate(gb.astype(np.uint8), kernel) > 0
        near_p = cv2.dilate(pb.astype(np.uint8), kernel) > 0
        precision = float((pb & near_g).sum() / pb.sum())
        recall = float((gb & near_p).sum() / gb.sum())
        out.append(0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
    return out


def boundary_f_reward(
    completions: Sequence, *, tolerance: float = 0.0075, max_side: int = DEFAULT_MAX_SIDE, **columns: Any
) -> list[float]:
    """Boundary F-score of polygon answers: precision and recall of the predicted and true outlines
    within ``tolerance`` (a fraction of the image diagonal, 0.75 % as in the DAVIS F measure); 0 for
    unparseable answers and for box / point tasks."""
    return _boundary_f_terms(_Batch.build(completions, columns), max_side, tolerance)


def iou_reward(completions: Sequence, *, max_side: int = DEFAULT_MAX_SIDE, **columns: Any) -> list[float]:
    """Mask IoU for polygon answers (the reference decoder's pixels, at most ``max_side`` wide),
    box IoU for box answers, 1/0 for a point inside/outside the object; 0 when unparseable."""
    return _iou_terms(_Batch.build(completions, columns), max_side)


def centroid_reward(completions: Sequence, *, scale: float = 0.1, **columns: Any) -> list[float]:
    """``exp(-d / scale)`` with ``d`` the centroid distance as a fraction of the image diagonal; 0 when unparseable."""
    return _centroid_terms(_Batch.build(completions, columns), scale)


def format_reward(completions: Sequence, **columns: Any) -> list[float]:
    """1 for a complete, well-formed answer of the task's kind; 0 if unparseable, truncated,
    out of range, or holding degenerate polygons."""
    return _format_terms(_Batch.build(completions, columns))


@dataclass
class SimpleSegReward:
    """The reference reward in one callable: ``w_iou * IoU + w_centroid * centroid + w_format * format``.

    Parsing happens once per completion for all terms. Unparseable answers score 0. No length
    penalty (the reference found none was needed).

    Example:
        >>> r = SimpleSegReward()
        >>> gt = [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]
        >>> [round(v, 3) for v in r(["[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]", "?"], gt_polygons=[gt, gt], image_wh=[(64, 64)] * 2)]
        [1.0, 0.0]
    """

    w_iou: float = field(default=1.0, metadata={"help": "weight of the IoU term (the main signal)"})
    w_centroid: float = field(default=0.1, metadata={"help": "weight of the centroid-distance term"})
    w_format: float = field(default=0.1, metadata={"help": "weight of the format term"})
    w_boundary: float = field(default=0.0, metadata={"help": "weight of the boundary F-score term (off by default)"})
    centroid_scale: float = field(default=0.1, metadata={"help": "distance (fraction of the diagonal) where the centroid term is 1/e"})
    max_side: int = field(default=DEFAULT_MAX_SIDE, metadata={"help": "rasterize IoU at most this wide (pixels)"})
    coord_space: str = field(default="norm", metadata={"help": "space of the answers' numbers: norm (0-1) or 1000 "
                                                                "(the compact style's 0-999 integers)"})

    def __post_init__(self) -> None:
        self.__name__ = "simpleseg_reward"  # TRL logs a reward under its __name__
        weights = (self.w_iou, self.w_centroid, self.w_format, self.w_boundary)
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"reward weights must be >= 0 with a positive sum, got {weights}")
        if self.centroid_scale <= 0 or self.max_side < 8:
            raise ValueError("centroid_scale must be > 0 and max_side >= 8")
        if self.coord_space not in ("norm", "1000"):
            raise ValueError(f"coord_space must be 'norm' or '1000', got {self.coord_space!r}")

    def __call__(self, completions: Sequence, **columns: Any) -> list[float]:
        b = _Batch.build(completions, columns, self.coord_space)
        iou = _iou_terms(b, self.max_side)
        cen = _centroid_terms(b, self.centroid_scale) if self.w_centroid else [0.0] * len(iou)
        fmt = _format_terms(b)
        bnd = _boundary_f_terms(b, self.max_side, 0.0075) if self.w_boundary else [0.0] * len(iou)
        total = self.w_iou + self.w_centroid + self.w_format + self.w_boundary
        return [
            0.0 if p is None else (self.w_iou * a + self.w_centroid * c + self.w_format * f + self.w_boundary * e) / total
            for p, a, c, f, e in zip(b.parsed, iou, cen, fmt, bnd)
        ]
