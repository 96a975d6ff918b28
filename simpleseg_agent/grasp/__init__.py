"""Grasp planning from polygons: parallel-jaw grasps in 2-D, lifted to 3-D with depth (no torch).

Angle convention: ``angle_rad`` is the direction of the jaw closing axis (through the two contacts),
from the image +x axis towards +y, i.e. clockwise on screen with y down, in ``[-pi/2, pi/2)``.
3-D: OpenCV camera frame (x right, y down, z forward, metres); pose axes x = closing axis,
z = approach, y = z × x.

Example:
    >>> import numpy as np
    >>> from simpleseg_agent.grasp import GripperConfig, Intrinsics, plan_grasps
    >>> mask = np.zeros((480, 640), bool); mask[200:240, 260:380] = True      # a 120 x 40 px bar
    >>> depth = np.full((480, 640), 0.75)
    >>> plan = plan_grasps(mask, depth=depth, intrinsics=Intrinsics(600, 600, 319.5, 239.5),
    ...                    gripper=GripperConfig(max_opening_m=0.085))
    >>> g = plan.best
    >>> [round(v, 2) for v in g.center_px], round(g.angle_deg), round(g.width_px), round(100 * g.width_m, 1)
    ([320.0, 220.0], -90, 40, 5.0)
    >>> [round(v, 3) for v in g.center_xyz_m]
    [0.0, -0.025, 0.75]
"""

from .draw import draw_grasps, jaw_corners
from .lifting import (
    Intrinsics,
    as_depth,
    carve_depth_holes,
    grasp_frame,
    lift_grasp,
    robust_depth,
)
from .planner import (
    SCORE_WEIGHTS,
    GripperConfig,
    Planned2D,
    PlannerConfig,
    config_help,
    plan_2d,
)
from .results import DepthInfo, Grasp, GraspError, GraspPlan, GraspToolError
from .tool import GraspPlanner, grasp, plan_grasps

__all__ = [
    "SCORE_WEIGHTS", "DepthInfo", "Grasp", "GraspError", "GraspPlan", "GraspPlanner", "GraspToolError", "GripperConfig",
    "Intrinsics", "Planned2D", "PlannerConfig", "as_depth", "carve_depth_holes", "config_help", "draw_grasps", "grasp",
    "grasp_frame", "jaw_corners", "lift_grasp", "plan_2d", "plan_grasps", "robust_depth",
]
