"""Depth lifting against hand-computed pinhole numbers; invalid depth; poses and frames."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simpleseg_agent.grasp import (
    GraspError,
    GripperConfig,
    Intrinsics,
    PlannerConfig,
    as_depth,
    carve_depth_holes,
    grasp_frame,
    lift_grasp,
    plan_grasps,
    robust_depth,
)
from simpleseg_agent.grasp.results import Grasp

from .shapes import WH, circle_px, rect_px, region_px, ring_region

K = Intrinsics(fx=500.0, fy=400.0, cx=300.0, cy=200.0)


def make_grasp(center=(350.5, 150.5), angle_deg=30.0, width=50.0) -> Grasp:
    a = math.radians(angle_deg)
    u = np.array([math.cos(a), math.sin(a)])
    c = np.array(center)
    c1, c2 = c - width / 2 * u, c + width / 2 * u
    return Grasp(center_px=tuple(c), center_xy_norm=(c[0] / 640, c[1] / 480), angle_rad=a, width_px=width,
                 contacts_px=(tuple(c1), tuple(c2)), score=1.0, method="antipodal")


# pinhole numbers by hand ------------------------------------------------------------------------
def test_backprojection_by_hand():
    # toolkit pixel 350.5 is OpenCV pixel 350: X = (350 - 300) / 500 * 2 = 0.2, Y = (150 - 200) / 400 * 2 = -0.25
    assert K.backproject((350.5, 150.5), 2.0).tolist() == pytest.approx([0.2, -0.25, 2.0])
    assert K.project([0.2, -0.25, 2.0]).tolist() == pytest.approx([350.5, 150.5])
    pts = K.backproject(np.array([[300.5, 200.5], [800.5, 600.5]]), np.array([1.0, 0.5]))
    assert np.allclose(pts, [[0.0, 0.0, 1.0], [0.5, 0.5, 0.5]])


def test_lifted_grasp_by_hand():
    g = lift_grasp(make_grasp(), 2.0, K)
    assert g.center_xyz_m == pytest.approx((0.2, -0.25, 2.0))
    assert g.depth_m == 2.0
    # width: 50 px at 30 deg: dx = 43.30127 px, dy = 25 px -> 0.1732051 m and 0.125 m at z = 2 -> 0.2136001 m
    assert g.width_m == pytest.approx(math.hypot(50 * math.cos(math.pi / 6) * 2 / 500, 50 * 0.5 * 2 / 400))
    assert g.width_m == pytest.approx(0.2136001, abs=1e-6)
    assert g.width_m == pytest.approx(50 * 2.0 / K.focal_along(g.angle_rad))  # the module docstring's formula
    c1, c2 = np.array(g.contacts_xyz_m)
    assert c1[2] == c2[2] == 2.0 and np.linalg.norm(c2 - c1) == pytest.approx(g.width_m)
    # approach: the camera ray through the centre
    assert g.approach_xyz == pytest.approx(tuple(np.array([0.2, -0.25, 2.0]) / math.sqrt(0.04 + 0.0625 + 4)))


def test_pose_axes_are_right_handed_and_documented():
    g = lift_grasp(make_grasp(), 2.0, K)
    T = g.pose_matrix()
    R = T[:3, :3]
    assert np.allclose(R @ R.T, np.eye(3)) and np.linalg.det(R) == pytest.approx(1.0)
    x, y, z = R.T
    assert np.allclose(z, g.approach_xyz) and np.allclose(x, g.closing_xyz)
    assert np.allclose(y, np.cross(z, x))
    assert T[:3, 3] == pytest.approx(g.center_xyz_m)
    d = np.subtract(*g.contacts_xyz_m[::-1])
    assert np.dot(x, d) > 0.99 * np.linalg.norm(d) * math.cos(math.radians(10))  # x runs from contact 0 to contact 1


def test_on_axis_grasp_is_axis_aligned():
    g = lift_grasp(make_grasp(center=(300.5, 200.5), angle_deg=0.0, width=40), 1.0, K)
    assert np.allclose(g.pose_matrix(), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    assert g.width_m == pytest.approx(40 / 500)
    g = lift_grasp(make_grasp(center=(300.5, 200.5), angle_deg=-90.0, width=40), 1.0, K)
    assert g.width_m == pytest.approx(40 / 400)  # fy along a vertical jaw axis
    assert g.closing_xyz == pytest.approx((0.0, -1.0, 0.0))


def test_base_frame_pose_and_table_normal():
    # camera 0.8 m above the base origin's table, looking down: base x = camera x, base y = -camera y, base z = -camera z
    T_base_camera = np.array([[1, 0, 0, 0.5], [0, -1, 0, 0.0], [0, 0, -1, 0.8], [0, 0, 0, 1]], float)
    g = lift_grasp(make_grasp(), 0.7, K, T_base_camera=T_base_camera, table_normal=(0, 0, -1))
    X, Y, Z = g.center_xyz_m
    base = g.pose_matrix("base")
    assert base[:3, 3] == pytest.approx([0.5 + X, -Y, 0.8 - Z])
    assert g.approach_xyz == pytest.approx((0.0, 0.0, 1.0))  # straight down onto the table, not along the ray
    assert base[:3, 2] == pytest.approx([0, 0, -1])  # approach points down in the base frame too
    with pytest.raises(GraspError, match="T_base_camera"):
        lift_grasp(make_grasp(), 0.7, K).pose_matrix("base")


@pytest.mark.parametrize(
    "T,message",
    [(np.eye(3), "4x4"), (np.diag([1, 1, -1, 1.0]), "rigid"), (np.full((4, 4), np.nan), "finite"),
     (np.eye(4) * 2, "rigid")],
)
def test_bad_transforms_are_refused(T, message):
    with pytest.raises(GraspError, match=message):
        lift_grasp(make_grasp(), 1.0, K, T_base_camera=T)


@pytest.mark.parametrize(
    "kwargs,message",
    [(dict(fx=0, fy=1, cx=0, cy=0), "positive"), (dict(fx=float("nan"), fy=1, cx=0, cy=0), "finite"),
     (dict(fx="600", fy=1, cx=0, cy=0), "finite"), (dict(fx=1, fy=-1, cx=0, cy=0), "positive")],
)
def test_bad_intrinsics_are_refused(kwargs, message):
    with pytest.raises(GraspError, match=message):
        Intrinsics(**kwargs)


def test_intrinsics_from_a_camera_matrix():
    assert Intrinsics.from_matrix(K.K) == K
    assert Intrinsics.from_matrix(K.K.ravel().tolist()) == K
    with pytest.raises(GraspError, match="3x3"):
        Intrinsics.from_matrix(np.eye(4))


# robust depth -----------------------------------------------------------------------------------
def _scene(z_obj=0.7, z_bg=0.8):
    depth = np.full((100, 120), z_bg)
    mask = np.zeros((100, 120), bool)
    mask[30:70, 40:90] = True
    depth[30:70, 40:90] = z_obj
    return depth, mask


INVALID = [0.0, np.nan, np.inf, -np.inf, -0.5]


@pytest.mark.parametrize("bad", INVALID)
def test_invalid_depth_is_ignored(bad):
    depth, mask = _scene()
    depth[30:60, 40:90] = bad  # three quarters of the object is invalid
    info = robust_depth(depth, mask)
    assert info.z_m == pytest.approx(0.7) and info.n_valid > 0 and info.n_valid < mask.sum()


def test_mask_border_mixing_with_the_background_is_eroded_away():
    depth, mask = _scene()
    loose = np.zeros_like(mask)
    loose[27:73, 37:93] = True  # a sloppy mask, 3 px too large: a frame of table depth around the object
    loose[27:73, 37:60] = True
    assert robust_depth(depth, loose, erode_px=3).z_m == pytest.approx(0.7)
    info = robust_depth(depth, loose, erode_px=3)
    assert info.eroded and info.n_pixels == loose.sum()


def test_thin_objects_fall_back_to_the_whole_mask():
    depth = np.full((50, 50), 0.8)
    mask = np.zeros((50, 50), bool)
    mask[20:23, 5:45] = True  # 3 px thin: erosion by 3 px empties it
    depth[mask] = 0.65
    info = robust_depth(depth, mask, erode_px=3)
    assert info.z_m == pytest.approx(0.65) and not info.eroded


@pytest.mark.parametrize("bad", INVALID)
def test_all_invalid_depth_gives_a_clear_error(bad):
    depth, mask = _scene()
    depth[mask] = bad
    with pytest.raises(GraspError, match="no valid depth inside the object's mask"):
        robust_depth(depth, mask)


@pytest.mark.parametrize(
    "depth,kwargs,message",
    [
        (np.zeros((10,)), {}, "(H, W)"),
        (np.zeros((0, 4)), {}, "(H, W)"),
        (np.zeros((10, 10), bool), {}, "numeric"),
        (np.array([["a"]]), {}, "numeric"),
        (np.zeros((10, 10), np.uint16), {}, "depth_scale"),
        (np.zeros((10, 10)), dict(depth_scale=-1.0), "depth_scale"),
        (np.zeros((10, 10)), dict(resolution_wh=(20, 10)), "register"),
    ],
)
def test_depth_images_are_validated(depth, kwargs, message):
    resolution = kwargs.pop("resolution_wh", None)
    with pytest.raises(GraspError, match=message.replace("(", r"\(").replace(")", r"\)")):
        as_depth(depth, resolution, **kwargs)


def test_millimetre_depth_with_a_scale():
    d = as_depth(np.full((4, 4, 1), 750, np.uint16), (4, 4), depth_scale=0.001)
    assert d.shape == (4, 4) and d[0, 0] == pytest.approx(0.75)


def test_carving_cuts_the_inside_of_a_container():
    depth = np.full((120, 120), 0.8)
    yy, xx = np.mgrid[0:120, 0:120]
    r = np.hypot(xx - 60, yy - 60)
    depth[r < 40] = 0.7  # the rim
    depth[r < 32] = 0.79  # the inside, seen through the opening
    depth[(r < 32) & (xx % 7 == 0)] = 0.0  # dropouts inside must not stay as specks of material
    mask = r < 40
    carved = carve_depth_holes(depth, mask, 0.03)
    assert carved[60, 60] == False and carved[60, 23] == True  # noqa: E712
    assert not carved[r < 31].any()
    assert carved[(r > 33) & (r < 39)].all()


# through the planner ----------------------------------------------------------------------------
def test_plan_with_depth_matches_hand_computation():
    cam = Intrinsics(600, 600, 319.5, 239.5)
    depth = np.full((480, 640), 0.8)
    box = rect_px(400, 300, 90, 48, 0)  # x 355..445, y 276..324: jaws close up-down across 48 px
    depth[276:324, 355:445] = 0.72
    depth[290:295, 380:400] = np.nan
    depth[300:302, 350:450] = 0.0
    plan = plan_grasps(region_px(box), WH, depth=depth, intrinsics=cam, gripper=GripperConfig(max_opening_m=0.085))
    assert plan.ok, plan.summary()
    g = plan.best
    assert plan.depth.z_m == pytest.approx(0.72)
    assert g.center_xyz_m == pytest.approx(((400 - 320) / 600 * 0.72, (300 - 240) / 600 * 0.72, 0.72))
    assert g.width_m == pytest.approx(48 / 600 * 0.72)
    assert plan.max_opening_px == pytest.approx(0.085 * 600 / 0.72)


def test_the_metric_opening_uses_the_object_depth():
    cam = Intrinsics(600, 600, 319.5, 239.5)
    disk = region_px(circle_px(320, 240, 40))  # 80 px across
    for z, fits in ((0.5, True), (0.7, False)):  # 80 px is 6.7 cm at 0.5 m, 9.3 cm at 0.7 m; the gripper opens 8.5 cm
        plan = plan_grasps(disk, WH, depth=np.full((480, 640), z), intrinsics=cam, gripper=GripperConfig(max_opening_m=0.085))
        assert plan.ok == fits, (z, plan.summary())
        if not fits:
            assert plan.error.kind == "no_grasp" and "wider than the maximum opening" in plan.error.message


@pytest.mark.parametrize("bad", [0.0, np.nan, -1.0])
def test_plan_with_all_invalid_depth_reports_why(bad):
    plan = plan_grasps(ring_region(), WH, depth=np.full((480, 640), bad), intrinsics=Intrinsics(600, 600, 320, 240),
                       gripper=GripperConfig(max_opening_px=100))
    assert not plan.ok and plan.error.kind == "depth"
    assert "no valid depth" in plan.error.message
    with pytest.raises(GraspError, match="no valid depth"):
        plan.raise_for_error()


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(depth=np.full((480, 640), 0.8)), "intrinsics"),
        (dict(depth=np.full((240, 320), 0.8), intrinsics=Intrinsics(600, 600, 320, 240)), "register"),
        (dict(depth=np.full((480, 640), 800, np.uint16), intrinsics=Intrinsics(600, 600, 320, 240)), "depth_scale"),
        (dict(depth=np.full((480, 640), 0.8), intrinsics=Intrinsics(600, 600, 320, 240), T_base_camera=np.eye(3)), "4x4"),
        (dict(depth=np.full((480, 640), 0.8), intrinsics=Intrinsics(600, 600, 320, 240), table_normal=(0, 0, 0)), "table_normal"),
    ],
)
def test_plan_depth_mistakes_are_reported(kwargs, message):
    plan = plan_grasps(region_px(rect_px(320, 240, 60, 30, 0)), WH, gripper=GripperConfig(max_opening_px=100), **kwargs)
    assert not plan.ok and plan.error.kind == "depth" and message in plan.error.message


def test_depth_holes_turn_a_filled_mug_outline_into_a_rim():
    cam = Intrinsics(600, 600, 319.5, 239.5)
    yy, xx = np.mgrid[0:480, 0:640]
    r = np.hypot(xx + 0.5 - 320, yy + 0.5 - 240)
    depth = np.full((480, 640), 0.8)
    depth[r < 40] = 0.7
    depth[r < 33] = 0.79
    disk = region_px(circle_px(320, 240, 40))  # what a polygon answer gives: the outline, no hole
    gripper = GripperConfig(max_opening_m=0.085)
    filled = plan_grasps(disk, WH, depth=depth, intrinsics=cam, gripper=gripper)
    rim = plan_grasps(disk, WH, depth=depth, intrinsics=cam, gripper=gripper, config=PlannerConfig(depth_holes_m=0.03))
    # without carving the inside dominates the median depth, and the 80 px mug is 10.5 cm wide there
    assert filled.depth.z_m == pytest.approx(0.79, abs=0.002) and not filled.ok
    assert rim.ok and rim.best.width_px < 10 and rim.notes  # a pinch of the wall
    assert rim.depth.z_m == pytest.approx(0.7, abs=0.002)
    assert rim.best.center_xyz_m[2] == pytest.approx(0.7, abs=0.002)
    assert math.dist(rim.best.center_px, (320, 240)) > 33


def test_intrinsics_without_depth_plan_in_2d_with_a_note():
    plan = plan_grasps(region_px(rect_px(320, 240, 60, 30, 0)), WH, gripper=GripperConfig(max_opening_px=100),
                       intrinsics=Intrinsics(600, 600, 320, 240))
    assert plan.ok and plan.best.center_xyz_m is None and "2-D grasps only" in plan.notes[0]
    plan = plan_grasps(region_px(rect_px(320, 240, 60, 30, 0)), WH, intrinsics=Intrinsics(600, 600, 320, 240))
    assert not plan.ok and plan.error.kind == "depth"  # the default gripper's opening is metric


def test_grasp_frame_refuses_parallel_axes():
    with pytest.raises(GraspError, match="parallel"):
        grasp_frame([0, 0, 1], [0, 0, 2], [0, 0, 1])
