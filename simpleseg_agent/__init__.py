"""simpleseg-agent: polygon-predicting vision-language models as tools for GUI agents and robots.

The core (this package's top level, ``geometry``, ``grammar``, ``prompts``, ``overlay``) needs only
NumPy, OpenCV, shapely, Pillow and pycocotools; it never imports torch.

Example:
    >>> import numpy as np
    >>> import simpleseg_agent as ss
    >>> answer = ss.parse_answer("It is at [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.4], [0.1, 0.4]]].")
    >>> region = ss.Region.from_polygons(answer.polygons_xy_norm)
    >>> region.xyxy.tolist(), ss.click_target(region, (640, 480)).xy_px
    ([0.1, 0.1, 0.5, 0.4], (192.0, 120.0))
"""

__version__ = "0.1.0"

from .errors import (
    ActionError,
    GeometryError,
    ImageError,
    MissingDependencyError,
    MissingProgramError,
    ModelError,
    ParseError,
    SimpleSegError,
)
from .geometry import (
    ClickTarget,
    IoUAccumulator,
    Part,
    Region,
    box_iou,
    click_target,
    mask_iou,
    mask_to_region,
    region_iou,
    region_iou_batch,
    region_to_mask,
)
from .grammar import CoordSpace, ParsedAnswer, format_box, format_point, format_polygons, parse_answer, wrap_answer
from .prompts import Query, build_prompt

__all__ = [
    "ActionError", "ClickTarget", "CoordSpace", "GeometryError", "ImageError", "IoUAccumulator",
    "MissingDependencyError", "MissingProgramError", "ModelError", "ParseError", "ParsedAnswer", "Part", "Query", "Region",
    "SimpleSegError", "__version__", "box_iou", "build_prompt", "click_target", "format_box", "format_point",
    "format_polygons", "mask_iou", "mask_to_region", "parse_answer", "region_iou", "region_iou_batch",
    "region_to_mask", "wrap_answer",
]
