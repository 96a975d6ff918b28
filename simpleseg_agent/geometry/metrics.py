"""Metrics of segmentation, grounding and clicking, with defined results for empty inputs.

Conventions (stated once, used everywhere):

* IoU of two empty shapes is **1.0** (nothing to find, nothing found); one empty and one not is 0.0.
* Region IoU is computed on the reference decoder's pixels (pycocotools convention) at the image's
  resolution: :func:`region_iou_batch` is exact and runs in C when the kernel is built.
* cIoU = sum(intersection) / sum(union) over a split; gIoU = mean per-sample IoU.
* REC Acc@0.5: IoU of the predicted region's box with the ground-truth box is at least 0.5.
* Click accuracy: the click point lies inside the target (mask pixel or region).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import GeometryError
from .masks import as_mask
from .raster import iou_from_areas, parts_iou_batch
from .region import Region, as_region, resolution_scale

EMPTY_IOU = 1.0


def mask_iou(mask_a, mask_b) -> float:
    """IoU of two same-shape masks.

    Example:
        >>> import numpy as np
        >>> a = np.zeros((4, 4), bool); a[:2] = True
        >>> b = np.zeros((4, 4), bool); b[1:3] = True
        >>> round(mask_iou(a, b), 4)
        0.3333
    """
    inter, union = mask_overlap(mask_a, mask_b)
    return EMPTY_IOU if union == 0 else inter / union


def mask_overlap(mask_a, mask_b) -> tuple[int, int]:
    """``(intersection, union)`` pixel counts of two same-shape masks."""
    a, b = as_mask(mask_a, name="mask_a"), as_mask(mask_b, name="mask_b")
    if a.shape != b.shape:
        raise GeometryError(f"masks differ in shape: {a.shape} vs {b.shape}")
    return int(np.count_nonzero(a & b)), int(np.count_nonzero(a | b))


def _parts_norm(item) -> list[list[np.ndarray]]:
    """A Region, or a sequence of normalized ``(N, 2)`` polygons, as parts of rings (normalized).

    The hot path of rewards and evaluation: polygons given as arrays skip Region construction;
    their values are validated by the rasterizer (finite, N >= 3) and their shape here.
    """
    if isinstance(item, Region):
        return [list(part.rings) for part in item.parts]
    parts = []
    for poly in item:
        arr = np.ascontiguousarray(poly, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise GeometryError(f"a polygon must be an (N, 2) array, got shape {arr.shape}")
        parts.append([arr])
    return parts


def region_overlap_batch(regions_a: Sequence, regions_b: Sequence, resolution_wh, *, backend: str = "auto"):
    """Per pair ``(intersection, area_a, area_b)`` in pixels, as three ``(N,)`` arrays.

    Each item is a :class:`Region` or a sequence of normalized ``(N, 2)`` polygons (one part each);
    ``resolution_wh`` is one ``(W, H)`` for all pairs or one per pair.
    """
    if len(regions_a) != len(regions_b):
        raise GeometryError(f"need as many A as B regions, got {len(regions_a)} and {len(regions_b)}")
    res = np.asarray(resolution_wh, dtype=np.float64)
    for wh in res.reshape(-1, 2) if res.size % 2 == 0 else [resolution_wh]:
        resolution_scale(wh)  # positive, finite, two numbers
    return parts_iou_batch(
        [_parts_norm(r) for r in regions_a], [_parts_norm(r) for r in regions_b],
        res.astype(np.int64), backend=backend, normalized=True,
    )


def region_iou_batch(regions_a: Sequence, regions_b: Sequence, resolution_wh, *, backend: str = "auto") -> np.ndarray:
    """IoU of many pairs of regions (or polygon lists) on one or per-pair ``resolution_wh``, shape ``(N,)``.

    Example:
        >>> a = [[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]]
        >>> b = [[[0.25, 0.0], [0.75, 0.0], [0.75, 1.0], [0.25, 1.0]]]
        >>> region_iou_batch([a, a], [b, a], (100, 100)).round(4).tolist()
        [0.3333, 1.0]
    """
    return iou_from_areas(*region_overlap_batch(regions_a, regions_b, resolution_wh, backend=backend), empty=EMPTY_IOU)


def region_iou(region_a, region_b, resolution_wh: tuple[int, int], *, method: str = "raster") -> float:
    """IoU of two regions: ``"raster"`` on the decoder's pixels (default) or ``"geometric"`` (exact areas).

    Example:
        >>> a = [[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]]
        >>> region_iou(a, a, (64, 48)), region_iou(a, [[[0.5, 0], [1, 0], [1, 1]]], (64, 48))
        (1.0, 0.0)
    """
    if method == "raster":
        return float(region_iou_batch([region_a], [region_b], resolution_wh)[0])
    if method != "geometric":
        raise ValueError(f"method must be 'raster' or 'geometric', got {method!r}")
    from .adapters import region_to_shapely

    ga = region_to_shapely(as_region(region_a), resolution_wh, repair=True)
    gb = region_to_shapely(as_region(region_b), resolution_wh, repair=True)
    union = ga.union(gb).area
    return EMPTY_IOU if union == 0 else float(ga.intersection(gb).area / union)


def region_mask_iou(region, mask) -> float:
    """IoU of a region (rasterized at the mask's resolution) with a ground-truth mask."""
    from .masks import region_to_mask

    m = as_mask(mask)
    return mask_iou(region_to_mask(as_region(region), (m.shape[1], m.shape[0])), m)


def box_iou(xyxy_a, xyxy_b) -> np.ndarray | float:
    """IoU of boxes ``[x1, y1, x2, y2]``, element-wise over broadcastable ``(..., 4)`` arrays.

    Example:
        >>> box_iou([0, 0, 2, 2], [1, 0, 3, 2])
        0.3333333333333333
    """
    a, b = np.asarray(xyxy_a, dtype=np.float64), np.asarray(xyxy_b, dtype=np.float64)
    if a.shape[-1:] != (4,) or b.shape[-1:] != (4,):
        raise GeometryError(f"boxes must have shape (..., 4), got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise GeometryError("boxes contain NaN or infinite values")
    if (a[..., 2:] < a[..., :2]).any() or (b[..., 2:] < b[..., :2]).any():
        raise GeometryError("boxes must satisfy x1 <= x2 and y1 <= y2")
    lt = np.maximum(a[..., :2], b[..., :2])
    rb = np.minimum(a[..., 2:], b[..., 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=-1)
    area_a = np.prod(a[..., 2:] - a[..., :2], axis=-1)
    area_b = np.prod(b[..., 2:] - b[..., :2], axis=-1)
    out = iou_from_areas(np.asarray(inter), np.asarray(area_a), np.asarray(area_b), empty=EMPTY_IOU)
    return float(out) if out.ndim == 0 else out


def rec_hit(pred, gt_xyxy, threshold: float = 0.5) -> bool:
    """REC hit: IoU of the predicted region's box (or a predicted box) with the ground-truth box >= threshold.

    Example:
        >>> rec_hit([[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]], [0.1, 0.1, 0.5, 0.6])
        True
    """
    pred_box = _as_flat_box(pred)
    if pred_box is None:
        region = as_region(pred)
        if region.is_empty:
            return False
        pred_box = region.xyxy
    return bool(box_iou(pred_box, gt_xyxy) >= threshold)


def _as_flat_box(value) -> np.ndarray | None:
    """``value`` as a ``(4,)`` box when it is four numbers, else None (it is a region)."""
    if isinstance(value, Region):
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == (4,) else None


def click_hit(xy, target, resolution_wh: tuple[int, int] | None = None) -> bool:
    """Whether a click lands inside the target.

    ``target`` is a ``(H, W)`` mask (``xy`` then in pixels: the pixel ``(int(x), int(y))`` is tested)
    or a :class:`Region` (``xy`` in pixels when ``resolution_wh`` is given, else normalized).

    Example:
        >>> import numpy as np
        >>> m = np.zeros((10, 10), bool); m[2:5, 2:5] = True
        >>> click_hit((3.5, 3.5), m), click_hit((7.0, 3.0), m)
        (True, False)
    """
    p = np.asarray(xy, dtype=np.float64)
    if p.shape != (2,) or not np.isfinite(p).all():
        return False  # a click that is not a finite point hits nothing
    if isinstance(target, Region):
        from .targets import point_in_region

        if resolution_wh is not None:
            p = p / resolution_scale(resolution_wh)
        return point_in_region(p, target)
    m = as_mask(target, name="target")
    col, row = int(np.floor(p[0])), int(np.floor(p[1]))
    return 0 <= row < m.shape[0] and 0 <= col < m.shape[1] and bool(m[row, col])


def centroid_distance(region_a, region_b, resolution_wh: tuple[int, int]) -> tuple[float, float]:
    """Distance between the centroids: ``(pixels, fraction of the image diagonal)``.

    Example:
        >>> a = [[[0.0, 0.0], [0.2, 0.0], [0.2, 0.2], [0.0, 0.2]]]
        >>> b = [[[0.3, 0.0], [0.5, 0.0], [0.5, 0.2], [0.3, 0.2]]]
        >>> [round(v, 3) for v in centroid_distance(a, b, (100, 100))]
        [30.0, 0.212]
    """
    scale = resolution_scale(resolution_wh)
    ca, cb = as_region(region_a).centroid * scale, as_region(region_b).centroid * scale
    d = float(np.hypot(*(ca - cb)))
    return d, d / float(np.hypot(*scale))


@dataclass
class IoUAccumulator:
    """cIoU and gIoU over a split.

    Example:
        >>> acc = IoUAccumulator()
        >>> acc.add(inter=50, union=100), acc.add(inter=0, union=300)
        (0.5, 0.0)
        >>> acc.ciou, acc.giou, acc.n
        (0.125, 0.25, 2)
    """

    inter: float = 0.0
    union: float = 0.0
    ious: list[float] = field(default_factory=list)

    def add(self, *, inter: float, union: float) -> float:
        """Add one sample's intersection and union (pixels); returns its IoU."""
        if inter < 0 or union < inter:
            raise GeometryError(f"need 0 <= intersection <= union, got {inter} and {union}")
        self.inter += inter
        self.union += union
        iou = EMPTY_IOU if union == 0 else inter / union
        self.ious.append(iou)
        return iou

    def add_masks(self, pred_mask, gt_mask) -> float:
        inter, union = mask_overlap(pred_mask, gt_mask)
        return self.add(inter=inter, union=union)

    def add_regions(self, pred, gt, resolution_wh: tuple[int, int]) -> float:
        inter, area_a, area_b = (float(v[0]) for v in region_overlap_batch([pred], [gt], resolution_wh))
        return self.add(inter=inter, union=area_a + area_b - inter)

    @property
    def n(self) -> int:
        return len(self.ious)

    @property
    def ciou(self) -> float:
        return EMPTY_IOU if self.union == 0 else self.inter / self.union

    @property
    def giou(self) -> float:
        return float(np.mean(self.ious)) if self.ious else float("nan")


@dataclass
class HitRate:
    """A running accuracy (REC Acc@0.5, click accuracy).

    Example:
        >>> h = HitRate(); h.add(True); h.add(False); h.accuracy
        0.5
    """

    hits: int = 0
    n: int = 0

    def add(self, hit: bool) -> None:
        self.hits += int(bool(hit))
        self.n += 1

    @property
    def accuracy(self) -> float:
        return self.hits / self.n if self.n else float("nan")
