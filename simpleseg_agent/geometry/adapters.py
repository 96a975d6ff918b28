"""Adapters between :class:`Region` and other libraries: shapely, COCO polygons, COCO RLE.

Example:
    >>> from simpleseg_agent.geometry import Region
    >>> r = Region.from_polygons([[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]])
    >>> region_to_coco(r, (100, 100))
    [[10.0, 10.0, 50.0, 10.0, 50.0, 50.0, 10.0, 50.0]]
    >>> rle = region_to_rle(r, (100, 100))
    >>> rle["size"], int(__import__("pycocotools.mask", fromlist=["area"]).area(rle))
    ([100, 100], 1600)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import GeometryError
from .region import Part, Region, resolution_scale


def region_to_shapely(region: Region, resolution_wh: tuple[int, int] | None = None, *, repair: bool = False):
    """A shapely ``MultiPolygon`` (normalized coordinates, or pixels when ``resolution_wh`` is given).

    With ``repair=True`` self-intersections are resolved with ``make_valid`` and the parts united.
    """
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    scale = resolution_scale(resolution_wh) if resolution_wh is not None else np.ones(2)
    polys = [Polygon(p.outer * scale, [h * scale for h in p.holes]) for p in region.parts]
    if not repair:
        return MultiPolygon(polys)
    fixed = [shapely.make_valid(p) for p in polys]
    return polygonal_pieces(shapely.unary_union(fixed) if fixed else MultiPolygon())


def polygonal_pieces(geom):
    """Keep only the polygonal pieces of a shapely geometry (make_valid may return lines and points too), as
    a ``MultiPolygon``.

    Example:
        >>> from shapely.geometry import GeometryCollection, LineString, Polygon
        >>> mixed = GeometryCollection([Polygon([(0, 0), (1, 0), (1, 1)]), LineString([(0, 0), (2, 2)])])
        >>> len(polygonal_pieces(mixed).geoms)
        1
    """
    from shapely.geometry import MultiPolygon, Polygon

    if isinstance(geom, Polygon):
        return MultiPolygon([geom]) if not geom.is_empty else MultiPolygon()
    if isinstance(geom, MultiPolygon):
        return geom
    pieces = []
    for g in getattr(geom, "geoms", ()):
        sub = polygonal_pieces(g)
        pieces.extend(sub.geoms)
    return MultiPolygon(pieces)


def region_from_shapely(geom, resolution_wh: tuple[int, int] | None = None) -> Region:
    """A canonical :class:`Region` from a shapely (Multi)Polygon or collection (non-polygonal parts dropped)."""
    scale = resolution_scale(resolution_wh) if resolution_wh is not None else np.ones(2)
    parts = []
    for poly in polygonal_pieces(geom).geoms:
        if poly.is_empty or poly.area <= 0:
            continue
        outer = np.asarray(poly.exterior.coords)[:-1] / scale
        holes = tuple(np.asarray(r.coords)[:-1] / scale for r in poly.interiors)
        parts.append(Part(outer, holes))
    return Region(parts).canonical()


def region_to_coco(region: Region, resolution_wh: tuple[int, int], *, drop_holes: bool = False) -> list[list[float]]:
    """COCO polygon segmentation: flat ``[x1, y1, x2, y2, ...]`` lists in pixels, one per part.

    COCO polygons cannot express holes; a region with holes raises unless ``drop_holes=True``
    (then use :func:`region_to_rle` to keep them).
    """
    if region.has_holes and not drop_holes:
        raise GeometryError("COCO polygons cannot hold holes: pass drop_holes=True or use region_to_rle()")
    return [ring.ravel().tolist() for ring in region.polygons_px(resolution_wh)]


def region_from_coco(segmentation: Sequence[Sequence[float]] | Mapping[str, Any], resolution_wh: tuple[int, int], **mask_options) -> Region:
    """From a COCO segmentation: polygon lists (pixels) or an RLE dict (decoded, then traced).

    ``mask_options`` go to :func:`mask_to_region` when the segmentation is an RLE.
    """
    if isinstance(segmentation, Mapping):
        return region_from_rle(segmentation, **mask_options)
    polys = []
    for flat in segmentation:
        arr = np.asarray(flat, dtype=np.float64)
        if arr.ndim != 1 or len(arr) % 2 or len(arr) < 6:
            raise GeometryError(f"a COCO polygon is a flat list of at least 3 x, y pairs, got {len(arr)} numbers")
        polys.append(arr.reshape(-1, 2))
    return Region.from_px(polys, resolution_wh)


def region_to_rle(region: Region, resolution_wh: tuple[int, int]) -> dict:
    """COCO RLE (compressed, ``counts`` as str) of the region rasterized like pycocotools would."""
    from pycocotools import mask as mask_utils

    from .masks import region_to_mask

    m = region_to_mask(region, resolution_wh)
    rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    rle["size"] = [int(v) for v in rle["size"]]
    return rle


def region_from_rle(rle: Mapping[str, Any], **mask_options) -> Region:
    """Decode a COCO RLE (compressed or uncompressed) and trace it with :func:`mask_to_region`."""
    from pycocotools import mask as mask_utils

    from .contours import mask_to_region

    if "size" not in rle or "counts" not in rle:
        raise GeometryError(f"an RLE needs 'size' and 'counts', got keys {sorted(rle)}")
    h, w = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, list):
        obj = mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
    else:
        obj = {"size": [h, w], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    return mask_to_region(mask_utils.decode(obj).astype(bool), **mask_options)
