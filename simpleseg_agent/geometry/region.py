"""The region type: what a polygon-predicting model answers, in normalized image coordinates.

A :class:`Region` is one object: one or more parts (connected components), each an outer ring with
optional holes. Coordinates are ``xy_norm``: ``x / W`` and ``y / H`` of the original image, so a
region keeps its meaning when the image is resized. The reference method drops holes; we keep them
when asked (:func:`simpleseg_agent.geometry.mask_to_region` with ``holes=True``).

Vertex order (:meth:`Region.canonical`): outer rings run **clockwise as seen on screen, with y
pointing down** (the shoelace sum ``sum(x_i * y_(i+1) - x_(i+1) * y_i)`` is positive), holes run the
other way; each ring starts at its top-most vertex (smallest y), ties broken by the left-most
(smallest x); repeated consecutive vertices and the closing duplicate are removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import GeometryError


def _as_ring(ring, *, what: str = "ring") -> np.ndarray:
    try:
        arr = np.array(ring, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GeometryError(f"a {what} must be an (N, 2) array of numbers: {exc}") from None
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise GeometryError(f"a {what} must be an (N, 2) array, got shape {arr.shape}")
    if len(arr) < 3:
        raise GeometryError(f"a {what} needs at least 3 vertices, got {len(arr)}")
    if not np.isfinite(arr).all():
        raise GeometryError(f"a {what} contains NaN or infinite coordinates")
    arr.setflags(write=False)
    return arr


def signed_area2(ring: np.ndarray) -> float:
    """Twice the shoelace area: positive when the ring runs clockwise on screen (y down).

    Example:
        >>> import numpy as np
        >>> signed_area2(np.array([[0, 0], [1, 0], [1, 1]], float))  # right, then down: clockwise on screen
        1.0
    """
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _canonical_ring(ring: np.ndarray, clockwise: bool) -> np.ndarray:
    keep = np.any(ring != np.roll(ring, 1, axis=0), axis=1)  # drop repeats and the closing duplicate
    if keep.any():
        ring = ring[keep]
    if len(ring) >= 3 and (signed_area2(ring) > 0) != clockwise:
        ring = ring[::-1]
    start = np.lexsort((ring[:, 0], ring[:, 1]))[0]
    out = np.ascontiguousarray(np.roll(ring, -start, axis=0))
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Part:
    """One connected component: an outer ring and its holes, each an ``(N, 2)`` array of ``xy_norm``."""

    outer: np.ndarray
    holes: tuple[np.ndarray, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "outer", _as_ring(self.outer, what="outer ring"))
        object.__setattr__(self, "holes", tuple(_as_ring(h, what="hole") for h in self.holes))

    @property
    def rings(self) -> tuple[np.ndarray, ...]:
        """The outer ring followed by the holes."""
        return (self.outer, *self.holes)

    @property
    def area(self) -> float:
        """Area in normalized units (outer minus holes; a valid part is assumed)."""
        return (abs(signed_area2(self.outer)) - sum(abs(signed_area2(h)) for h in self.holes)) / 2


class Region:
    """One object as polygons in normalized coordinates; immutable.

    Example:
        >>> r = Region.from_polygons([[[0.1, 0.1], [0.5, 0.1], [0.5, 0.3], [0.1, 0.3]]])
        >>> round(r.area, 4), r.xyxy.tolist()
        (0.08, [0.1, 0.1, 0.5, 0.3])
        >>> round(r.area_px((200, 100)), 1)
        1600.0
    """

    __slots__ = ("_parts",)

    def __init__(self, parts: Iterable[Part] = ()) -> None:
        parts = tuple(parts)
        for p in parts:
            if not isinstance(p, Part):
                raise GeometryError(f"Region parts must be Part objects, got {type(p).__name__}")
        self._parts = parts

    # construction -------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> Region:
        """The region with no parts (nothing found).

        Example:
            >>> Region.empty().is_empty
            True
        """
        return cls(())

    @classmethod
    def from_polygons(cls, polygons_xy_norm: Iterable) -> Region:
        """One part per polygon, no holes: the shape of a parsed answer.

        Example:
            >>> len(Region.from_polygons([[[0, 0], [1, 0], [1, 1]], [[0, 0], [0, 1], [1, 1]]]).parts)
            2
        """
        return cls(Part(p) for p in polygons_xy_norm)

    @classmethod
    def from_px(cls, polygons_xy_px: Iterable, resolution_wh: tuple[int, int]) -> Region:
        """From polygons in pixels of an image of ``resolution_wh`` (outer rings only).

        Example:
            >>> Region.from_px([[[0, 0], [100, 0], [100, 50]]], (200, 100)).xyxy.tolist()
            [0.0, 0.0, 0.5, 0.5]
        """
        scale = resolution_scale(resolution_wh)
        return cls(Part(_as_ring(p, what="polygon") / scale) for p in polygons_xy_px)

    # properties ---------------------------------------------------------------------------
    @property
    def parts(self) -> tuple[Part, ...]:
        return self._parts

    @property
    def polygons(self) -> list[np.ndarray]:
        """Outer rings, one per part (what the answer text holds)."""
        return [p.outer for p in self._parts]

    @property
    def has_holes(self) -> bool:
        return any(p.holes for p in self._parts)

    @property
    def is_empty(self) -> bool:
        return not self._parts

    @property
    def n_vertices(self) -> int:
        return sum(len(r) for p in self._parts for r in p.rings)

    @property
    def area(self) -> float:
        """Continuous area in normalized units (a fraction of the image)."""
        return float(sum(p.area for p in self._parts))

    def area_px(self, resolution_wh: tuple[int, int]) -> float:
        """Continuous area in pixels for an image of ``resolution_wh``."""
        w, h = resolution_scale(resolution_wh)
        return float(self.area * w * h)

    @property
    def xyxy(self) -> np.ndarray:
        """Bounding box ``[x1, y1, x2, y2]`` in normalized coordinates, shape ``(4,)``."""
        if self.is_empty:
            raise GeometryError("an empty region has no box")
        pts = np.concatenate(self.polygons)
        return np.concatenate([pts.min(axis=0), pts.max(axis=0)])

    @property
    def centroid(self) -> np.ndarray:
        """Area-weighted centroid ``xy_norm`` (may fall outside a concave shape), shape ``(2,)``."""
        if self.is_empty:
            raise GeometryError("an empty region has no centroid")
        total, acc = 0.0, np.zeros(2)
        for part in self._parts:
            for k, ring in enumerate(part.rings):
                x, y = ring[:, 0], ring[:, 1]
                xn, yn = np.roll(x, -1), np.roll(y, -1)
                cross = x * yn - xn * y
                a2 = cross.sum()
                sign = (1 if k == 0 else -1) * np.sign(a2)
                total += sign * a2
                acc += sign * np.array([((x + xn) * cross).sum(), ((y + yn) * cross).sum()]) / 3
        if total == 0:
            return np.concatenate(self.polygons).mean(axis=0)  # degenerate (zero-area) shape
        return acc / total

    # conversions --------------------------------------------------------------------------
    def to_px(self, resolution_wh: tuple[int, int]) -> list[list[np.ndarray]]:
        """Parts as lists of rings in pixels (``x * W``, ``y * H``): the rasterizer's input."""
        scale = resolution_scale(resolution_wh)
        return [[ring * scale for ring in part.rings] for part in self._parts]

    def polygons_px(self, resolution_wh: tuple[int, int]) -> list[np.ndarray]:
        """Outer rings in pixels."""
        scale = resolution_scale(resolution_wh)
        return [p.outer * scale for p in self._parts]

    def canonical(self) -> Region:
        """The same shape in the documented vertex order (see the module docstring).

        Example:
            >>> r = Region.from_polygons([[[0.5, 0.5], [0.1, 0.1], [0.9, 0.1]]]).canonical()
            >>> r.polygons[0].tolist()
            [[0.1, 0.1], [0.9, 0.1], [0.5, 0.5]]
        """
        return Region(
            Part(_canonical_ring(p.outer, True), tuple(_canonical_ring(h, False) for h in p.holes))
            for p in self._parts
        )

    def without_holes(self) -> Region:
        """Holes dropped, as the reference answer format does."""
        return Region(Part(p.outer) for p in self._parts)

    def clipped(self) -> Region:
        """The part of the region inside the image (the unit square)."""
        from .adapters import region_from_shapely, region_to_shapely  # local: shapely is optional here

        import shapely

        return region_from_shapely(region_to_shapely(self).intersection(shapely.box(0, 0, 1, 1)))

    def repaired(self) -> Region:
        """Self-intersections resolved (shapely ``make_valid``), parts united, order canonical."""
        from .adapters import region_from_shapely, region_to_shapely

        return region_from_shapely(region_to_shapely(self, repair=True))

    def allclose(self, other: Region, atol: float = 1e-9) -> bool:
        """Same parts, rings and vertices (in the same order) within ``atol``."""
        if len(self._parts) != len(other._parts):
            return False
        for a, b in zip(self._parts, other._parts):
            if len(a.rings) != len(b.rings):
                return False
            for ra, rb in zip(a.rings, b.rings):
                if ra.shape != rb.shape or not np.allclose(ra, rb, atol=atol, rtol=0):
                    return False
        return True

    def __repr__(self) -> str:
        holes = sum(len(p.holes) for p in self._parts)
        return f"Region(parts={len(self._parts)}, holes={holes}, vertices={self.n_vertices})"


def resolution_scale(resolution_wh) -> np.ndarray:
    """``resolution_wh`` as a float array ``[w, h]``, checked: two positive finite numbers, else a
    :class:`~simpleseg_agent.errors.GeometryError` naming what came.

    Example:
        >>> resolution_scale((640, 480)).tolist()
        [640.0, 480.0]
    """
    try:
        w, h = (float(v) for v in resolution_wh)
    except (TypeError, ValueError):
        raise GeometryError(f"resolution_wh must be (width, height), got {resolution_wh!r}") from None
    if not (w > 0 and h > 0 and np.isfinite(w) and np.isfinite(h)):
        raise GeometryError(f"resolution_wh must be positive, got {resolution_wh!r}")
    return np.array([w, h])


def as_region(value: Region | Sequence) -> Region:
    """Accept a :class:`Region` or a sequence of ``(N, 2)`` normalized polygons.

    Example:
        >>> as_region([[[0, 0], [1, 0], [1, 1]]]).n_vertices
        3
    """
    return value if isinstance(value, Region) else Region.from_polygons(value)
