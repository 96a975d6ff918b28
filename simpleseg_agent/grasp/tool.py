"""The grasp tool: segment an object by query, plan parallel-jaw grasps, lift them to 3-D.

:class:`GraspPlanner` holds a gripper and the planner settings; :meth:`GraspPlanner.plan` plans on
a shape you already have (a region, a mask, a segmentation), :meth:`GraspPlanner.grasp` segments
it first with a :class:`~simpleseg_agent.tools.SimpleSeg`. Both return a :class:`GraspPlan` and
never raise on a failed plan unless asked (``raise_on_error=True`` or ``plan.raise_for_error()``).

Example (a named fake backend answers for the model, which is not what is shown here):
    >>> import numpy as np
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> from simpleseg_agent.tools import SimpleSeg
    >>> seg = SimpleSeg(FakeAnswerBackend(["[[[0.4, 0.4], [0.6, 0.4], [0.6, 0.5], [0.4, 0.5]]]"]))
    >>> depth = np.full((480, 640), 0.8)
    >>> plan = grasp(seg, np.zeros((480, 640, 3), np.uint8), "the box", depth=depth,
    ...              intrinsics=Intrinsics(600, 600, 319.5, 239.5))
    >>> g = plan.best
    >>> [round(v, 2) for v in g.center_px], round(g.width_px), round(g.angle_deg), round(g.width_m, 3)
    ([320.0, 216.0], 48, -90, 0.064)
    >>> [round(v, 4) for v in g.center_xyz_m]                  # metres, camera frame
    [0.0, -0.032, 0.8]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Union

from ..errors import GeometryError
from ..geometry import region_to_mask
from ..prompts import Query
from ..tools.results import Latency, Segmentation
from .lifting import (
    Intrinsics,
    as_depth,
    as_transform,
    carve_depth_holes,
    lift_grasp,
    robust_depth,
)
from .planner import GripperConfig, PlannerConfig, as_grasp_target, plan_2d
from .results import GraspError, GraspPlan, GraspToolError

ObstacleInput = Any  # a Region, an (H, W) mask, a Segmentation, or (for grasp()) a query string


class GraspPlanner:
    """Plans grasps for one gripper.

    Args:
        gripper: the gripper (:class:`GripperConfig`; default: 8.5 cm opening, which needs depth).
        config: planner settings (:class:`PlannerConfig`).
    """

    def __init__(self, gripper: GripperConfig | None = None, config: PlannerConfig | None = None) -> None:
        self.gripper = gripper or GripperConfig()
        self.config = config or PlannerConfig()

    def __repr__(self) -> str:
        return f"GraspPlanner(gripper={self.gripper!r}, config={self.config!r})"

    def plan(
        self,
        shape,
        resolution_wh: tuple[int, int] | None = None,
        *,
        obstacles: Sequence[ObstacleInput] = (),
        depth=None,
        intrinsics: Intrinsics | None = None,
        T_base_camera=None,
        table_normal: Sequence[float] | None = None,
        depth_scale: float | None = None,
        query: str = "",
        raise_on_error: bool = False,
    ) -> GraspPlan:
        """Grasps for ``shape`` (a Region with ``resolution_wh``, a ``(H, W)`` mask, or a Segmentation).

        With ``depth`` (``(H, W)`` metres, or integers with ``depth_scale``) and ``intrinsics`` the
        grasps get 3-D centres, metric widths and camera-frame poses; with ``T_base_camera`` (a
        4x4 transform from camera to robot base coordinates) base-frame poses too. Without depth
        the plan is 2-D (``intrinsics`` alone are ignored, with a note). ``max_opening_m`` is
        converted to pixels with ``min(fx, fy) / z`` at the object's robust depth ``z``.
        """
        t0 = time.perf_counter()
        plan = self._plan(shape, resolution_wh, obstacles, depth, intrinsics, T_base_camera, table_normal, depth_scale, query)
        plan = plan.model_copy(update={"latency": Latency(overhead_s=time.perf_counter() - t0, total_s=time.perf_counter() - t0)})
        if raise_on_error:
            plan.raise_for_error()
        return plan

    def grasp(
        self,
        segmenter,
        image,
        query: Union[str, Query],
        *,
        obstacles: Sequence[ObstacleInput] = (),
        depth=None,
        intrinsics: Intrinsics | None = None,
        T_base_camera=None,
        table_normal: Sequence[float] | None = None,
        depth_scale: float | None = None,
        raise_on_error: bool = False,
    ) -> GraspPlan:
        """Segment ``query`` in ``image`` with ``segmenter``, then :meth:`plan`.

        ``obstacles`` may include query strings: they are segmented in the same batched model call,
        and the jaws are kept off them (one that is not found is ignored, with a note).
        """
        t0 = time.perf_counter()
        texts = [o for o in obstacles if isinstance(o, (str, Query))]
        results = segmenter.run_batch([image] * (1 + len(texts)), [query, *texts], "mask")
        seg: Segmentation = results[0]
        model_s = sum(r.latency.model_s for r in results)
        name = seg.query or (query if isinstance(query, str) else "")
        if not seg.ok:
            error = seg.error
            plan = GraspPlan(
                ok=False, query=name, image_wh=seg.image_wh, segmentation=seg,
                error=GraspToolError(kind=error.kind, message=f"segmentation failed: {error.message}") if error else
                GraspToolError(kind="model", message="segmentation failed"),
            )
        else:
            notes, kept = [], [o for o in obstacles if not isinstance(o, (str, Query))]
            for text, r in zip(texts, results[1:]):
                if r.ok:
                    kept.append(r)
                else:
                    notes.append(f"obstacle {r.query!r} ignored: {r.error.kind if r.error else 'not found'}")
            plan = self._plan(seg, seg.image_wh, kept, depth, intrinsics, T_base_camera, table_normal, depth_scale, name)
            plan = plan.model_copy(update={"segmentation": seg, "notes": [*notes, *plan.notes]})
        total = time.perf_counter() - t0
        plan = plan.model_copy(update={"latency": Latency(model_s=model_s, overhead_s=max(total - model_s, 0.0), total_s=total)})
        if raise_on_error:
            plan.raise_for_error()
        return plan

    # internals ------------------------------------------------------------------------------
    def _plan(self, shape, resolution_wh, obstacles, depth, intrinsics, T_base_camera, table_normal, depth_scale, query) -> GraspPlan:
        def fail(kind: str, message: str, **extra) -> GraspPlan:
            return GraspPlan(ok=False, query=query, image_wh=wh, error=GraspToolError(kind=kind, message=message), **extra)

        wh = None
        notes: list[str] = []
        try:
            region, mask, wh = as_grasp_target(shape, resolution_wh, self.config)
        except GeometryError as exc:
            return fail("geometry", str(exc))
        target = mask if mask is not None else region
        info, px_per_m = None, None
        t_lift = 0.0
        if depth is None and (intrinsics is not None or T_base_camera is not None):
            notes.append("no depth image: 2-D grasps only (intrinsics and T_base_camera need depth)")
        if depth is not None:
            t1 = time.perf_counter()
            try:
                if not isinstance(intrinsics, Intrinsics):
                    raise GraspError(f"depth needs intrinsics=Intrinsics(fx, fy, cx, cy), got {intrinsics!r}")
                if T_base_camera is not None:
                    as_transform(T_base_camera)
                d = as_depth(depth, wh, depth_scale=depth_scale)
                full_mask = mask if mask is not None else region_to_mask(region, wh)
                if self.config.depth_holes_m is not None:
                    carved = carve_depth_holes(d, full_mask, self.config.depth_holes_m, erode_px=self.config.erode_px)
                    n_cut = int(full_mask.sum() - carved.sum())
                    if n_cut and carved.any():
                        notes.append(f"{n_cut} mask pixels deeper than the object's top by > {self.config.depth_holes_m} m were removed "
                                     "(the inside of a container, background at the outline)")
                        full_mask = target = carved
                info = robust_depth(d, full_mask, erode_px=self.config.erode_px)
                if not info.eroded and self.config.erode_px > 0:
                    notes.append("the object is too thin to erode: its depth is the median over the whole mask")
                px_per_m = min(intrinsics.fx, intrinsics.fy) / info.z_m
            except GraspError as exc:
                return fail("depth", str(exc))
            t_lift += time.perf_counter() - t1
        if self.gripper.max_opening_px is None and px_per_m is None:
            return fail("depth", f"the gripper's opening is in metres only (max_opening_m={self.gripper.max_opening_m}): "
                                 "pass depth and intrinsics, or set GripperConfig(max_opening_px=...) for 2-D planning")
        try:
            planned = plan_2d(target, wh, obstacles=obstacles, gripper=self.gripper, config=self.config, px_per_m=px_per_m)
        except GeometryError as exc:
            return fail("geometry", str(exc))
        common = dict(depth=info, max_opening_px=planned.max_opening_px, n_candidates=planned.n_candidates,
                      n_collisions=planned.n_collisions, planner_ms=planned.planner_ms, notes=notes)
        if not planned.grasps:
            return fail("no_grasp", planned.failure(self.gripper), **common)
        grasps = planned.grasps
        if info is not None:
            t1 = time.perf_counter()
            try:
                grasps = [lift_grasp(g, info.z_m, intrinsics, T_base_camera=T_base_camera, table_normal=table_normal) for g in grasps]
            except GraspError as exc:
                return fail("depth", str(exc), **common)
            t_lift += time.perf_counter() - t1
        return GraspPlan(ok=True, query=query, image_wh=wh, grasps=grasps, lifting_ms=t_lift * 1e3, **common)


def plan_grasps(
    shape,
    resolution_wh: tuple[int, int] | None = None,
    *,
    gripper: GripperConfig | None = None,
    config: PlannerConfig | None = None,
    **kwargs: Any,
) -> GraspPlan:
    """:meth:`GraspPlanner.plan` in one call.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((240, 320), bool); mask[100:140, 100:220] = True
        >>> plan = plan_grasps(mask, gripper=GripperConfig(max_opening_px=80))
        >>> plan.ok, [round(v, 2) for v in plan.best.center_px], round(plan.best.width_px), round(plan.best.angle_deg)
        (True, [160.0, 120.0], 40, -90)
        >>> plan_grasps(np.zeros((240, 320), bool), gripper=GripperConfig(max_opening_px=80)).summary()
        "grasp('') failed (geometry): the target mask is empty: nothing to grasp"
    """
    return GraspPlanner(gripper, config).plan(shape, resolution_wh, **kwargs)


def grasp(
    segmenter,
    image,
    query: Union[str, Query],
    *,
    depth=None,
    intrinsics: Intrinsics | None = None,
    obstacles: Sequence[ObstacleInput] = (),
    T_base_camera=None,
    gripper: GripperConfig | None = None,
    config: PlannerConfig | None = None,
    **kwargs: Any,
) -> GraspPlan:
    """Segment ``query`` in ``image`` and plan grasps: :meth:`GraspPlanner.grasp` in one call.

    ``kwargs``: ``table_normal``, ``depth_scale``, ``raise_on_error``.
    """
    return GraspPlanner(gripper, config).grasp(
        segmenter, image, query, obstacles=obstacles, depth=depth, intrinsics=intrinsics, T_base_camera=T_base_camera, **kwargs
    )
