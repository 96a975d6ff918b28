"""Parallel-jaw grasp candidates from a polygon or mask: generate, check, score, keep the best.

Three generators propose grasps on every part (connected component) of the shape, in pixels:

* ``min_area_rect``: the minimum-area rotated rectangle; the jaws close across its short side,
  through its centre.
* ``principal_axis``: the jaws close across the principal (major) axis of the area, through the
  centroid.
* ``antipodal``: contour points every ``sample_step_px``, each with its (smoothed) outward normal;
  a ray cast inward from each finds the opposite contact, the first boundary crossing.

A candidate is kept only if (1) the segment between its contacts lies inside the material (so the
empty centre of a ring or a U is never grasped: the two contacts are consecutive boundary
crossings, and their midpoint is inside), (2) both contact normals lie within the friction cone
(half-angle ``atan(friction_coef)``) of the closing line, (3) its opening is within
``[min_opening_px, max_opening]``, and (4) neither jaw's footprint (``finger_width_px`` across the
closing axis, from the contact outwards by ``clearance_px + finger_depth_px``) overlaps an
obstacle, or the target's own material further out (the far arm of a U).

Scores are weighted means (:data:`SCORE_WEIGHTS`) of terms in [0, 1]: ``alignment`` (worst contact
angle against the cone), ``medial`` (distance of the centre to the border over half the width: 1
when the grasp crosses the shape at its narrowest), ``centroid`` (closeness of the centre to the
part's centre of mass), ``margin`` (room left below the maximum opening) and ``clearance`` (of
the jaws from obstacles). Non-maximum suppression by centre distance and angle keeps ``top_k``.

Masks are traced on their pixel edges with holes kept (:func:`~simpleseg_agent.geometry.mask_to_region`),
specks and pinholes under ``min_part_fraction`` of the largest part dropped, and simplified with
Douglas-Peucker at ``mask_epsilon_px`` (1 px): the raster staircase would otherwise tilt the
normals by up to 45 degrees. On rasterized shapes expect widths within about 2 px (a staircase
edge reaches ~0.7 px past the true line on each side) and angles within 1 degree; on polygons
the results are exact.

Angle convention: see :mod:`simpleseg_agent.grasp.results` (closing axis from +x towards +y,
clockwise on screen with y down, in ``[-pi/2, pi/2)``).

Example:
    >>> from simpleseg_agent.geometry import Region
    >>> bar = Region.from_px([[[100, 100], [220, 100], [220, 140], [100, 140]]], (320, 240))
    >>> out = plan_2d(bar, (320, 240), gripper=GripperConfig(max_opening_px=80))
    >>> g = out.grasps[0]
    >>> [round(v, 3) for v in g.center_px], round(g.width_px, 3), round(g.angle_deg, 3), g.method
    ([160.0, 120.0], 40.0, -90.0, 'min_area_rect')
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import cv2
import numpy as np

from ..errors import GeometryError
from ..geometry import Part, Region, mask_to_region
from ..geometry.masks import as_mask
from ..geometry.raster import parts_to_mask
from ..geometry.region import resolution_scale
from ._candidates import (
    METHODS,
    Candidates,
    border_distance,
    build_part,
    part_candidates,
)
from .results import Grasp, GraspError

#: Weights of the scoring terms (they sum to 1, so a score is in [0, 1]).
SCORE_WEIGHTS: dict[str, float] = {"alignment": 0.35, "medial": 0.2, "centroid": 0.2, "margin": 0.1, "clearance": 0.15}



def _positive(name: str, value: Any, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        kind = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise GraspError(f"{name} must be {kind}, got {value!r}")


@dataclass(frozen=True)
class GripperConfig:
    """A parallel-jaw gripper as the planner sees it (from above, in the image plane)."""

    max_opening_px: float | None = field(default=None, metadata={"help": "widest opening between the jaws, in image pixels (for 2-D use)"})
    max_opening_m: float | None = field(
        default=0.085,
        metadata={"help": "widest opening in metres (needs depth + intrinsics; Robotiq 2F-85: 0.085). With both set, the tighter wins"},
    )
    min_opening_px: float = field(default=2.0, metadata={"help": "narrower grasps are ignored (slivers, contour noise)"})
    finger_width_px: float = field(default=10.0, metadata={"help": "finger extent across the closing axis, pixels"})
    finger_depth_px: float = field(
        default=8.0, metadata={"help": "finger thickness along the closing axis (room needed beside the object), pixels"}
    )
    clearance_px: float = field(default=4.0, metadata={"help": "extra opening beyond each contact while approaching, pixels"})
    friction_coef: float = field(default=0.5, metadata={"help": "Coulomb friction coefficient; the friction cone's half-angle is atan(mu)"})

    def __post_init__(self) -> None:
        if self.max_opening_px is None and self.max_opening_m is None:
            raise GraspError("GripperConfig needs max_opening_px (2-D) or max_opening_m (with depth), got neither")
        if self.max_opening_px is not None:
            _positive("max_opening_px", self.max_opening_px)
        if self.max_opening_m is not None:
            _positive("max_opening_m", self.max_opening_m)
            if self.max_opening_m > 2:
                raise GraspError(f"max_opening_m={self.max_opening_m} is more than 2 m: pass metres, not millimetres")
        _positive("min_opening_px", self.min_opening_px, allow_zero=True)
        _positive("finger_width_px", self.finger_width_px)
        _positive("finger_depth_px", self.finger_depth_px)
        _positive("clearance_px", self.clearance_px, allow_zero=True)
        _positive("friction_coef", self.friction_coef)
        if self.max_opening_px is not None and self.min_opening_px >= self.max_opening_px:
            raise GraspError(f"min_opening_px ({self.min_opening_px}) must be below max_opening_px ({self.max_opening_px})")

    @property
    def friction_cone_rad(self) -> float:
        """Half-angle of the friction cone, ``atan(friction_coef)``."""
        return math.atan(self.friction_coef)

    def max_opening(self, px_per_m: float | None = None) -> float:
        """The maximum opening in pixels; ``px_per_m`` (focal length / depth) converts ``max_opening_m``.

        Example:
            >>> GripperConfig(max_opening_m=0.08).max_opening(px_per_m=600 / 0.8)
            60.0
        """
        limits = []
        if self.max_opening_px is not None:
            limits.append(float(self.max_opening_px))
        if self.max_opening_m is not None and px_per_m is not None:
            _positive("px_per_m", px_per_m)
            limits.append(float(self.max_opening_m * px_per_m))
        if not limits:
            raise GraspError(
                f"the gripper's opening is given in metres only (max_opening_m={self.max_opening_m}): "
                "pass depth and intrinsics to convert it, or set max_opening_px for 2-D planning"
            )
        return min(limits)


@dataclass(frozen=True)
class PlannerConfig:
    """How the planner searches (the gripper itself is :class:`GripperConfig`)."""

    top_k: int = field(default=5, metadata={"help": "grasps to keep after non-maximum suppression"})
    sample_step_px: float = field(default=2.0, metadata={"help": "contour sampling step for antipodal candidates, pixels"})
    max_samples: int = field(default=1500, metadata={"help": "at most this many contour samples per part (the step grows on huge shapes)"})
    normal_smoothing_px: float = field(default=4.0, metadata={"help": "normals are averaged over +- this arc length (pixel staircases)"})
    nms_distance_px: float = field(default=4.0, metadata={"help": "grasps closer than max(this, width/2) and nms_angle_deg are duplicates"})
    nms_angle_deg: float = field(default=15.0, metadata={"help": "angle below which two nearby grasps are duplicates, degrees"})
    mask_epsilon_px: float = field(
        default=1.0, metadata={"help": "masks are traced, then simplified by Douglas-Peucker at this tolerance (no raster staircase)"}
    )
    min_part_fraction: float = field(
        default=0.02, metadata={"help": "parts smaller than this fraction of the largest part are ignored (specks)"}
    )
    self_collision_offset_px: float = field(
        default=2.0, metadata={"help": "the target's own material counts as an obstacle from this far outside a contact"}
    )
    erode_px: int = field(default=3, metadata={"help": "mask erosion before the depth median, pixels (0: none)"})
    depth_holes_m: float | None = field(
        default=None,
        metadata={"help": "with depth: mask pixels deeper than the object's top by more than this are holes (inside of a mug, a bowl)"},
    )

    def __post_init__(self) -> None:
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1:
            raise GraspError(f"top_k must be an int >= 1, got {self.top_k!r}")
        if isinstance(self.max_samples, bool) or not isinstance(self.max_samples, int) or self.max_samples < 8:
            raise GraspError(f"max_samples must be an int >= 8, got {self.max_samples!r}")
        if isinstance(self.erode_px, bool) or not isinstance(self.erode_px, int) or self.erode_px < 0:
            raise GraspError(f"erode_px must be an int >= 0, got {self.erode_px!r}")
        _positive("sample_step_px", self.sample_step_px)
        _positive("normal_smoothing_px", self.normal_smoothing_px, allow_zero=True)
        _positive("nms_distance_px", self.nms_distance_px, allow_zero=True)
        _positive("nms_angle_deg", self.nms_angle_deg, allow_zero=True)
        _positive("self_collision_offset_px", self.self_collision_offset_px, allow_zero=True)
        _positive("mask_epsilon_px", self.mask_epsilon_px, allow_zero=True)
        if not (isinstance(self.min_part_fraction, (int, float)) and 0 <= self.min_part_fraction < 1):
            raise GraspError(f"min_part_fraction must be in [0, 1), got {self.min_part_fraction!r}")
        if self.depth_holes_m is not None:
            _positive("depth_holes_m", self.depth_holes_m)


def config_help(config_cls) -> dict[str, str]:
    """Field name -> help text of a config dataclass (what a CLI would show).

    Example:
        >>> config_help(GripperConfig)["friction_coef"]
        "Coulomb friction coefficient; the friction cone's half-angle is atan(mu)"
    """
    return {f.name: f.metadata.get("help", "") for f in fields(config_cls)}


# targets and obstacles ------------------------------------------------------------------------------
def as_grasp_target(shape, resolution_wh, cfg: PlannerConfig | None = None) -> tuple[Region, np.ndarray | None, tuple[int, int]]:
    """The shape to grasp (a Region, an ``(H, W)`` mask, or a Segmentation) as a Region and, for masks, the
    mask itself; with the image size.

    Example:
        >>> import numpy as np
        >>> m = np.zeros((20, 40), bool); m[5:15, 10:30] = True
        >>> region, mask, wh = as_grasp_target(m, None)
        >>> wh, mask is m
        ((40, 20), True)
    """
    if hasattr(shape, "region") and hasattr(shape, "image_wh") and not isinstance(shape, Region):
        if getattr(shape, "ok", True) is False:
            raise GeometryError("the segmentation failed: there is no shape to grasp")
        resolution_wh = resolution_wh or shape.image_wh
        shape = shape.region()
    if isinstance(shape, np.ndarray):
        mask = as_mask(shape, name="target mask")
        wh = (mask.shape[1], mask.shape[0])
        if resolution_wh is not None and tuple(int(v) for v in resolution_wh) != wh:
            raise GeometryError(f"the target mask is {wh[0]}x{wh[1]} but resolution_wh is {tuple(resolution_wh)}")
        if not mask.any():
            raise GeometryError("the target mask is empty: nothing to grasp")
        cfg = cfg or PlannerConfig()
        return _trace(mask, wh, cfg.min_part_fraction, cfg.mask_epsilon_px), mask, wh
    if not isinstance(shape, Region):
        raise GeometryError(
            f"the target must be a Region, a (H, W) mask or a Segmentation, got {type(shape).__name__}; "
            "for pixel polygons use Region.from_px(polygons, resolution_wh)"
        )
    if resolution_wh is None:
        raise GeometryError("a Region is normalized: pass resolution_wh=(width, height) of its image")
    w, h = (int(v) for v in resolution_scale(resolution_wh))
    if shape.is_empty:
        raise GeometryError("the target region is empty: nothing to grasp")
    if not _valid(shape):
        shape = shape.repaired()  # a model can answer a self-intersecting outline: grasp what it encloses
        if shape.is_empty:
            raise GeometryError("the target is degenerate: its outline encloses no area")
    return shape, None, (w, h)


def _valid(region: Region) -> bool:
    import shapely
    from shapely.geometry import Polygon

    return bool(all(shapely.is_valid(Polygon(p.outer, list(p.holes))) for p in region.parts))


def _trace(mask: np.ndarray, wh: tuple[int, int], min_fraction: float = 0.0, epsilon_px: float = 1.0) -> Region:
    """``mask_to_region(mask, holes=True, epsilon_px=...)`` on the mask's bounding box; with ``min_fraction``,
    specks (parts) and pinholes (holes) smaller than that fraction of the largest part are dropped first.

    The 1 px default removes the raster staircase, whose edge normals wobble by up to 45 degrees."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    r0, c0 = rows[0] - 1, cols[0] - 1
    crop = np.zeros((rows[-1] - rows[0] + 3, cols[-1] - cols[0] + 3), bool)  # a free border all round
    crop[1:-1, 1:-1] = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if min_fraction > 0:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(crop.astype(np.uint8), connectivity=8)
        if n > 1:
            areas = stats[1:, cv2.CC_STAT_AREA]
            floor = min_fraction * areas.max()
            crop = np.concatenate([[False], areas >= floor])[labels]
            n, labels, stats, _ = cv2.connectedComponentsWithStats((~crop).astype(np.uint8), connectivity=4)
            small = stats[:, cv2.CC_STAT_AREA] < floor
            small[0] = False
            small[labels[0, 0]] = False  # the background around the object
            crop |= small[labels] & ~crop
    # tiny masks keep their shape: a 1 px tolerance would turn a 2 x 2 square into a triangle
    traced = mask_to_region(crop, holes=True, epsilon_px=min(epsilon_px, 0.05 * math.sqrt(crop.sum())))
    crop_wh, origin, scale = np.array([crop.shape[1], crop.shape[0]], float), np.array([c0, r0], float), np.array(wh, float)
    return Region(Part((p.outer * crop_wh + origin) / scale, tuple((h * crop_wh + origin) / scale for h in p.holes)) for p in traced.parts)


def _crop_mask_of(shape, wh: tuple[int, int], origin: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """An obstacle or target (Region, mask or Segmentation) rasterized into the crop."""
    x0, y0 = int(origin[0]), int(origin[1])
    cw, ch = size_wh
    if hasattr(shape, "region") and not isinstance(shape, Region):
        if getattr(shape, "ok", True) is False:
            return np.zeros((ch, cw), bool)
        shape = shape.region()
    if isinstance(shape, np.ndarray):
        m = as_mask(shape, name="obstacle mask")
        if (m.shape[1], m.shape[0]) != wh:
            raise GeometryError(f"an obstacle mask is {m.shape[1]}x{m.shape[0]} but the image is {wh[0]}x{wh[1]}")
        out = np.zeros((ch, cw), bool)
        xs, ys = max(x0, 0), max(y0, 0)
        xe, ye = min(x0 + cw, wh[0]), min(y0 + ch, wh[1])
        if xe > xs and ye > ys:
            out[ys - y0 : ye - y0, xs - x0 : xe - x0] = m[ys:ye, xs:xe]
        return out
    if isinstance(shape, Region):
        if shape.is_empty:
            return np.zeros((ch, cw), bool)
        parts = [[ring - origin for ring in part] for part in shape.to_px(wh)]
        return parts_to_mask(parts, (cw, ch))
    raise GeometryError(f"obstacles must be Regions, (H, W) masks or Segmentations, got {type(shape).__name__}")


# the planner ---------------------------------------------------------------------------------------
@dataclass
class Planned2D:
    """What :func:`plan_2d` found: grasps (best first) and why candidates were dropped."""

    grasps: list[Grasp]
    max_opening_px: float
    n_candidates: int = 0
    n_outside: int = 0
    n_too_wide: int = 0
    n_too_narrow: int = 0
    n_friction: int = 0
    n_collisions: int = 0
    narrowest_px: float | None = None
    planner_ms: float = 0.0

    def failure(self, gripper: GripperConfig) -> str:
        """Why nothing was kept, in one sentence."""
        if self.n_candidates == 0:
            return "no grasp candidate: every proposal was centred on empty space"
        reasons = []
        if self.n_too_wide:
            narrow = f"; the narrowest crossing is {self.narrowest_px:.1f} px" if self.narrowest_px else ""
            reasons.append(f"{self.n_too_wide} are wider than the maximum opening ({self.max_opening_px:.1f} px{narrow})")
        if self.n_too_narrow:
            reasons.append(f"{self.n_too_narrow} are narrower than min_opening_px ({gripper.min_opening_px} px)")
        if self.n_friction:
            reasons.append(f"{self.n_friction} fail the friction cone ({math.degrees(gripper.friction_cone_rad):.1f} deg)")
        if self.n_outside:
            reasons.append(f"{self.n_outside} are centred on empty space")
        if self.n_collisions:
            reasons.append(f"{self.n_collisions} would put a jaw into an obstacle or the object")
        return f"no grasp fits the gripper: of {self.n_candidates} candidates, " + ", ".join(reasons)


def _angles(d: np.ndarray) -> np.ndarray:
    a = np.arctan2(d[:, 1], d[:, 0])
    return (a + np.pi / 2) % np.pi - np.pi / 2


def _nms(centers: np.ndarray, angles: np.ndarray, widths: np.ndarray, order: np.ndarray, cfg: PlannerConfig) -> list[int]:
    keep: list[int] = []
    max_angle = math.radians(cfg.nms_angle_deg)
    for i in order:
        dup = False
        for j in keep:
            near = math.dist(centers[i], centers[j]) < max(cfg.nms_distance_px, 0.5 * max(widths[i], widths[j]))
            da = abs(angles[i] - angles[j]) % math.pi
            if near and min(da, math.pi - da) < max_angle:
                dup = True
                break
        if not dup:
            keep.append(int(i))
            if len(keep) == cfg.top_k:
                break
    return keep


def plan_2d(
    shape,
    resolution_wh: tuple[int, int] | None = None,
    *,
    obstacles: Sequence[Any] = (),
    gripper: GripperConfig | None = None,
    config: PlannerConfig | None = None,
    px_per_m: float | None = None,
) -> Planned2D:
    """Grasps for one object in image pixels, best first (empty when nothing fits; see ``failure``).

    Args:
        shape: a :class:`~simpleseg_agent.geometry.Region` (normalized; needs ``resolution_wh``), a
            ``(H, W)`` bool mask, or a successful :class:`~simpleseg_agent.tools.Segmentation`.
        resolution_wh: ``(width, height)`` of the image.
        obstacles: other objects the jaws must not touch (Regions, masks or Segmentations).
        gripper: the gripper (default :class:`GripperConfig`; its ``max_opening_m`` needs ``px_per_m``).
        config: search settings (:class:`PlannerConfig`).
        px_per_m: pixels per metre at the object's depth (focal length / depth), for metric settings.

    Raises:
        GeometryError: an empty or degenerate shape, an unknown obstacle type or mismatched sizes.
        GraspError: impossible gripper settings.
    """
    t0 = time.perf_counter()
    gripper = gripper or GripperConfig()
    cfg = config or PlannerConfig()
    region, mask, wh = as_grasp_target(shape, resolution_wh, cfg)
    max_w = gripper.max_opening(px_per_m)
    rings_px = region.to_px(wh)
    built = (build_part(i, rings, cfg.sample_step_px, cfg.max_samples, cfg.normal_smoothing_px) for i, rings in enumerate(rings_px))
    parts = [p for p in built if p is not None]
    if not parts:
        raise GeometryError(f"the target is degenerate: none of its {len(region.parts)} part(s) encloses any area")
    largest = max(p.area for p in parts)
    parts = [p for p in parts if p.area >= cfg.min_part_fraction * largest]

    per_part = [part_candidates(part, k) for k, part in enumerate(parts)]
    cands = Candidates.concat([c for c, _ in per_part])
    out = Planned2D([], max_w, n_candidates=len(cands.p1) + sum(n for _, n in per_part), n_outside=sum(n for _, n in per_part))

    # hard constraints: opening and friction cone
    width = np.linalg.norm(cands.p2 - cands.p1, axis=1)
    cos_cone = math.cos(gripper.friction_cone_rad)
    friction_ok = (cands.cos1 >= cos_cone - 1e-9) & (cands.cos2 >= cos_cone - 1e-9)
    too_wide = width > max_w + 1e-9
    too_narrow = width < max(gripper.min_opening_px, 1e-6)
    out.n_friction = int((~friction_ok).sum())
    out.n_too_wide = int((friction_ok & too_wide).sum())
    out.n_too_narrow = int((friction_ok & too_narrow).sum())
    if (friction_ok & ~too_narrow).any():
        out.narrowest_px = float(width[friction_ok & ~too_narrow].min())
    ok = friction_ok & ~too_wide & ~too_narrow
    cands, width = cands.take(ok), width[ok]
    if len(width) == 0:
        out.planner_ms = (time.perf_counter() - t0) * 1e3
        return out

    # jaw footprints: a grid over each finger's swept box, outward from each contact
    u = (cands.p2 - cands.p1) / width[:, None]
    v = np.stack([-u[:, 1], u[:, 0]], axis=1)
    reach = gripper.clearance_px + gripper.finger_depth_px
    along = np.linspace(0.5, reach, max(2, int(math.ceil(reach / 2)) + 1))
    across = np.linspace(-gripper.finger_width_px / 2, gripper.finger_width_px / 2, max(2, int(math.ceil(gripper.finger_width_px / 2)) + 1))
    grid = along[:, None, None] * np.array([1.0, 0.0]) + across[None, :, None] * np.array([0.0, 1.0])  # (na, nb, 2) in (o, v)
    fingers = []
    for contact, sign in ((cands.p1, -1.0), (cands.p2, 1.0)):
        o = sign * u
        fingers.append(contact[:, None, None, :] + grid[None, ..., 0:1] * o[:, None, None, :] + grid[None, ..., 1:2] * v[:, None, None, :])
    pts = np.stack(fingers, axis=1)  # (K, 2, na, nb, 2)
    self_zone = np.broadcast_to((along >= cfg.self_collision_offset_px)[None, None, :, None], pts.shape[:4])

    pad = int(math.ceil(reach + gripper.finger_width_px)) + 3
    lo = np.floor(np.concatenate([p.A for p in parts]).min(axis=0)).astype(int) - pad
    hi = np.ceil(np.concatenate([p.A for p in parts]).max(axis=0)).astype(int) + pad
    size = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    self_mask = _crop_mask_of(mask if mask is not None else region, wh, lo, size)
    obstacle = np.zeros((size[1], size[0]), bool)
    for ob in obstacles:
        obstacle |= _crop_mask_of(ob, wh, lo, size)
    # obstacle pixels on or next to the target are the target's own (two outlines disagree by a pixel)
    obstacle &= ~cv2.dilate(self_mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)

    ix = np.floor(pts[..., 0] - lo[0]).astype(np.int64)
    iy = np.floor(pts[..., 1] - lo[1]).astype(np.int64)
    inside_img = (pts[..., 0] >= 0) & (pts[..., 0] < wh[0]) & (pts[..., 1] >= 0) & (pts[..., 1] < wh[1])
    ixc, iyc = np.clip(ix, 0, size[0] - 1), np.clip(iy, 0, size[1] - 1)
    hits = inside_img & ((self_mask[iyc, ixc] & self_zone) | obstacle[iyc, ixc])
    collide = hits.reshape(len(width), -1).any(axis=1)
    if obstacle.any():
        dist = cv2.distanceTransform((~obstacle).astype(np.uint8), cv2.DIST_L2, 3)
        clearance = np.where(inside_img, dist[iyc, ixc], np.inf).reshape(len(width), -1).min(axis=1)
    else:
        clearance = np.full(len(width), np.inf)
    out.n_collisions = int(collide.sum())
    keep = ~collide
    cands, width, clearance = cands.take(keep), width[keep], clearance[keep]
    if len(width) == 0:
        out.planner_ms = (time.perf_counter() - t0) * 1e3
        return out

    centers = (cands.p1 + cands.p2) / 2
    border = np.empty(len(width))
    centroid_term = np.empty(len(width))
    for k, part in enumerate(parts):
        sel = cands.part == k
        if sel.any():
            border[sel] = border_distance(centers[sel], part)
            centroid_term[sel] = 1 - np.clip(np.linalg.norm(centers[sel] - part.centroid, axis=1) / part.radius, 0, 1)
    worst = np.arccos(np.clip(np.minimum(cands.cos1, cands.cos2), -1, 1))
    terms = {
        "alignment": np.clip(1 - worst / max(gripper.friction_cone_rad, 1e-9), 0, 1),
        "medial": np.clip(border / (width / 2), 0, 1),
        "centroid": centroid_term,
        "margin": np.clip((max_w - width) / (0.25 * max_w), 0, 1),
        "clearance": np.clip(clearance / reach, 0, 1),
    }
    score = sum(SCORE_WEIGHTS[name] * values for name, values in terms.items())
    angles = _angles(cands.p2 - cands.p1)
    order = np.argsort(-np.round(score, 9), kind="stable")  # ties: rectangle, then axis, then antipodal
    chosen = _nms(centers, angles, width, order, cfg)

    w_img, h_img = wh
    for i in chosen:
        a = float(angles[i])
        direction = np.array([math.cos(a), math.sin(a)])
        c1, c2 = (cands.p1[i], cands.p2[i]) if np.dot(cands.p2[i] - cands.p1[i], direction) >= 0 else (cands.p2[i], cands.p1[i])
        cx, cy = float(centers[i, 0]), float(centers[i, 1])
        out.grasps.append(
            Grasp(
                center_px=(cx, cy),
                center_xy_norm=(cx / w_img, cy / h_img),
                angle_rad=a,
                width_px=float(width[i]),
                contacts_px=((float(c1[0]), float(c1[1])), (float(c2[0]), float(c2[1]))),
                score=round(float(score[i]), 6),
                method=METHODS[int(cands.method[i])],
                score_terms={name: round(float(values[i]), 6) for name, values in terms.items()},
                part=int(parts[int(cands.part[i])].index),
            )
        )
    out.planner_ms = (time.perf_counter() - t0) * 1e3
    return out
