"""Click targets: a point well inside a shape, with its clearance to the border.

The centroid of a concave shape (a ring, a U, an L-shaped menu) can fall outside it, so a click
must not go there. We take the pole of inaccessibility (the centre of the largest inscribed circle,
shapely's ``polylabel``) of every part, in pixels (normalized space is not isotropic), and pick the
part where that circle is largest. The pole is not unique on elongated shapes (any point on the
mid-line of a button is as deep as its centre), so among the points at least ``keep`` times as
deep we take the one nearest the centroid: a button is clicked in its middle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GeometryError
from .region import Region, resolution_scale


@dataclass(frozen=True)
class ClickTarget:
    """Where to click: ``xy_px`` in the image's pixels, ``xy_norm`` normalized, ``clearance_px``
    the distance from the point to the nearest border of its part, ``part`` the part's index."""

    xy_px: tuple[float, float]
    xy_norm: tuple[float, float]
    clearance_px: float
    part: int


def click_target(region: Region, resolution_wh: tuple[int, int], *, tolerance_px: float = 0.5, keep: float = 0.9) -> ClickTarget:
    """The point deepest inside the region (largest inscribed circle over all parts).

    Example:
        >>> from simpleseg_agent.geometry import Region
        >>> ring = Region.from_px([[[0, 0], [100, 0], [100, 100], [0, 100]]], (200, 200))
        >>> t = click_target(ring, (200, 200))
        >>> [round(v) for v in t.xy_px], round(t.clearance_px)
        ([50, 50], 50)
        >>> button = Region.from_px([[[10, 10], [110, 10], [110, 40], [10, 40]]], (200, 200))
        >>> [round(v) for v in click_target(button, (200, 200)).xy_px]  # the middle, not the left end
        [60, 25]
    """
    if region.is_empty:
        raise GeometryError("cannot pick a click target in an empty region")
    from shapely.geometry import Polygon
    from shapely.ops import polylabel

    scale = resolution_scale(resolution_wh)
    best: ClickTarget | None = None
    for i, part in enumerate(region.parts):
        poly = Polygon(part.outer * scale, [h * scale for h in part.holes])
        if not poly.is_valid:
            poly = poly.buffer(0)
            if poly.geom_type == "MultiPolygon":
                poly = max(poly.geoms, key=lambda g: g.area)
        if poly.is_empty or poly.area <= 0:
            continue
        p = polylabel(poly, tolerance=tolerance_px)
        if not poly.contains(p):  # polylabel on a sliver can land on the border
            p = poly.representative_point()
        depth = poly.boundary.distance(p)
        deep = poly.buffer(-keep * depth) if depth > 0 else poly
        if not deep.is_empty:
            from shapely.ops import nearest_points

            q = nearest_points(deep, poly.centroid)[0]
            if poly.contains(q):
                p = q
        clearance = poly.boundary.distance(p)
        if best is None or clearance > best.clearance_px:
            xy = (float(p.x), float(p.y))
            best = ClickTarget(xy, (float(xy[0] / scale[0]), float(xy[1] / scale[1])), float(clearance), i)
    if best is None:
        raise GeometryError("the region has no part with a positive area to click into")
    return best


def point_in_region(xy_norm, region: Region) -> bool:
    """Whether a normalized point lies inside the region (holes excluded).

    Example:
        >>> from simpleseg_agent.geometry import Region
        >>> r = Region.from_polygons([[[0, 0], [1, 0], [1, 1], [0, 1]]])
        >>> point_in_region((0.5, 0.5), r), point_in_region((1.5, 0.5), r)
        (True, False)
    """
    xy = np.asarray(xy_norm, dtype=np.float64)
    if xy.shape != (2,) or not np.isfinite(xy).all():
        raise GeometryError(f"a point must be two finite numbers, got {xy_norm!r}")
    from shapely.geometry import Point, Polygon

    pt = Point(xy)
    return any(Polygon(p.outer, list(p.holes)).buffer(0).contains(pt) for p in region.parts)
