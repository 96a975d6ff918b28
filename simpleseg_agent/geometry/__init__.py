"""Geometry core: regions, masks <-> polygons, rasterization, metrics, click targets (no torch).

Example:
    >>> import numpy as np
    >>> from simpleseg_agent.geometry import mask_to_region, region_to_mask, mask_iou
    >>> m = np.zeros((48, 64), bool); m[10:30, 8:40] = True
    >>> r = mask_to_region(m)
    >>> mask_iou(region_to_mask(r, (64, 48)), m)
    1.0
"""

from .adapters import region_from_coco, region_from_rle, region_from_shapely, region_to_coco, region_to_rle, region_to_shapely
from .boxes import grown_box, rounded_box_polygon, xyxy_iou
from .contours import mask_to_region
from .masks import as_mask, region_to_mask
from .metrics import (
    EMPTY_IOU,
    HitRate,
    IoUAccumulator,
    box_iou,
    centroid_distance,
    click_hit,
    mask_iou,
    mask_overlap,
    rec_hit,
    region_iou,
    region_iou_batch,
    region_mask_iou,
    region_overlap_batch,
)
from .raster import HAVE_C_KERNEL, MAX_MASK_PIXELS, MAX_MASK_SIDE_PX, check_mask_size
from .region import Part, Region, as_region, signed_area2
from .targets import ClickTarget, click_target, point_in_region

__all__ = [
    "EMPTY_IOU", "HAVE_C_KERNEL", "MAX_MASK_PIXELS", "MAX_MASK_SIDE_PX", "ClickTarget", "HitRate", "IoUAccumulator", "Part",
    "Region", "as_mask", "as_region", "box_iou", "centroid_distance", "check_mask_size", "click_hit", "click_target", "grown_box",
    "mask_iou", "mask_overlap",
    "mask_to_region", "point_in_region", "rec_hit", "region_from_coco", "region_from_rle", "region_from_shapely",
    "region_iou", "region_iou_batch", "region_mask_iou", "region_overlap_batch", "region_to_coco", "region_to_mask",
    "region_to_rle", "region_to_shapely", "rounded_box_polygon", "signed_area2", "xyxy_iou",
]
