"""The 2-D planner: analytic shapes, rings and U shapes, collisions, hostile input, speed."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.geometry import Region, region_to_mask
from simpleseg_agent.grasp import (
    GraspError,
    GripperConfig,
    PlannerConfig,
    config_help,
    plan_2d,
    plan_grasps,
)

from .shapes import (
    WH,
    axis_angle_error_deg,
    center_on_material,
    circle_px,
    closing_segment_inside,
    jaw_points,
    mask_of,
    material,
    rect_px,
    region_px,
    ring_region,
    u_polygon,
)

WIDE = GripperConfig(max_opening_px=300)


# analytic cases ---------------------------------------------------------------------------------
ANGLES = [0.0, 7.0, 15.0, 30.0, 45.0, 60.0, 75.0, 88.0, 89.5, 90.0, 90.5, 92.0, 120.0, 150.0, 179.0]


@pytest.mark.parametrize("deg", ANGLES)
def test_rotated_rectangle_closes_across_the_short_side(deg):
    region = region_px(rect_px(320, 240, 120, 40, deg))
    g = plan_2d(region, WH, gripper=WIDE).grasps[0]
    assert abs(g.width_px - 40) <= 1
    assert axis_angle_error_deg(g.angle_rad, deg + 90) <= 1  # the short side is perpendicular to the long one
    assert math.dist(g.center_px, (320, 240)) <= 1
    assert -math.pi / 2 <= g.angle_rad < math.pi / 2


@pytest.mark.parametrize("deg", [0.0, 20.0, 45.0, 70.0, 89.0, 90.0, 135.0])
def test_rotated_rectangle_from_a_mask(deg):
    mask = mask_of([rect_px(320, 240.4, 120, 40, deg)])
    g = plan_2d(mask, gripper=WIDE).grasps[0]
    # a rasterized edge is a staircase reaching up to ~0.7 px beyond the true line on each side
    assert abs(g.width_px - 40) <= 2
    assert axis_angle_error_deg(g.angle_rad, deg + 90) <= 1
    assert math.dist(g.center_px, (320, 240.4)) <= 1


def test_angle_convention_and_contact_order():
    # a bar lying along y (tall): the jaws close left-right, angle 0, contacts left then right
    tall = region_px(rect_px(320, 240, 120, 40, 90))
    g = plan_2d(tall, WH, gripper=WIDE).grasps[0]
    assert abs(g.angle_rad) < 1e-6
    (x1, _), (x2, _) = g.contacts_px
    assert x1 < x2
    # a bar along x (wide): the jaws close up-down, angle -pi/2 (the interval is [-pi/2, pi/2))
    wide = region_px(rect_px(320, 240, 120, 40, 0))
    g = plan_2d(wide, WH, gripper=WIDE).grasps[0]
    assert g.angle_rad == pytest.approx(-math.pi / 2)
    # clockwise on screen: a bar whose long side runs at +30 deg (down-right) is closed at 30 + 90 = 120 = -60 deg
    g = plan_2d(region_px(rect_px(320, 240, 120, 40, 30)), WH, gripper=WIDE).grasps[0]
    assert g.angle_deg == pytest.approx(-60, abs=1e-6)
    d = np.subtract(g.contacts_px[1], g.contacts_px[0])
    assert math.atan2(d[1], d[0]) == pytest.approx(g.angle_rad)


@pytest.mark.parametrize("n", [24, 64, 128, 400])
def test_disk_width_is_its_diameter(n):
    plan = plan_2d(region_px(circle_px(300, 200, 50, n)), WH, gripper=WIDE)
    assert plan.grasps
    for g in plan.grasps:
        assert abs(g.width_px - 100) <= 1
        assert math.dist(g.center_px, (300, 200)) <= 1


@pytest.mark.parametrize("radius", [5, 10, 25, 40, 90])
def test_disk_from_a_mask(radius):
    import cv2

    m = np.zeros((480, 640), np.uint8)
    cv2.circle(m, (320, 240), radius, 1, -1)
    diameter = 2 * math.sqrt(m.sum() / math.pi)  # of the disk with the raster's area
    plan = plan_2d(m.astype(bool), gripper=WIDE)
    for g in plan.grasps:
        assert abs(g.width_px - diameter) <= 1.25
    assert abs(plan.grasps[0].width_px - diameter) <= 1
    assert math.dist(plan.grasps[0].center_px, (320.5, 240.5)) <= 1


RING_AND_U = {
    "ring": ring_region(),
    "thin ring": ring_region(r_out=50, r_in=46),
    "U": region_px(u_polygon()),
    "narrow U": region_px(u_polygon(t=25)),
    "ring mask": mask_of([circle_px(320, 240, 60)], [circle_px(320, 240, 45)]),
    "U mask": mask_of([u_polygon()]),
}


@pytest.mark.parametrize("name", list(RING_AND_U))
def test_no_grasp_is_centred_on_empty_space(name):
    shape = RING_AND_U[name]
    region = shape if isinstance(shape, Region) else plan_2d.__globals__["_trace"](shape, WH)
    geom = material(region)
    assert not geom.contains(geom.centroid)  # the premise: the centroid lies outside the material
    plan = plan_2d(shape, WH, gripper=WIDE, config=PlannerConfig(top_k=20))
    assert len(plan.grasps) >= 3
    for g in plan.grasps:
        assert center_on_material(g, geom), g
        assert closing_segment_inside(g, geom), g
    assert plan.n_outside > 0  # the rectangle / axis proposals through the centroid were refused


def test_ring_grasps_pinch_the_wall():
    plan = plan_2d(ring_region(r_out=60, r_in=45), WH, gripper=WIDE, config=PlannerConfig(top_k=10))
    for g in plan.grasps:
        assert abs(g.width_px - 15) <= 1
        assert 45 <= math.dist(g.center_px, (320, 240)) <= 60


# collisions -------------------------------------------------------------------------------------
GRIPPER = GripperConfig(max_opening_px=60, finger_width_px=10, finger_depth_px=8, clearance_px=4)


def _hits(g, obstacle_mask, gripper=GRIPPER, start=0.5) -> bool:
    pts = jaw_points(g, gripper, start, side_tolerance=0.25)
    ix, iy = np.floor(pts[:, 0]).astype(int), np.floor(pts[:, 1]).astype(int)
    ok = (ix >= 0) & (ix < obstacle_mask.shape[1]) & (iy >= 0) & (iy < obstacle_mask.shape[0])
    return bool(obstacle_mask[iy[ok], ix[ok]].any())


def test_obstacle_next_to_one_side_drops_the_grasps_it_would_hit():
    bar = region_px(rect_px(320, 240, 160, 40, 0))  # x 240..400, y 220..260: jaws close up-down
    free = plan_2d(bar, WH, gripper=GRIPPER, config=PlannerConfig(top_k=10))
    assert math.dist(free.grasps[0].center_px, (320, 240)) <= 1
    block = np.array([[230, 200], [330, 200], [330, 217], [230, 217]], float)  # 3 px above the left two thirds
    obstacle = mask_of([block])
    for ob in (region_px(block), obstacle):
        plan = plan_2d(bar, WH, obstacles=[ob], gripper=GRIPPER, config=PlannerConfig(top_k=10))
        assert plan.n_collisions > 0 and plan.grasps
        for g in plan.grasps:
            assert not _hits(g, obstacle), g
        assert plan.grasps[0].center_px[0] > 330 + GRIPPER.finger_width_px / 2 - 1
    assert any(_hits(g, obstacle) for g in free.grasps)  # the check matters: some free grasps hit it


def test_obstacles_all_round_leave_no_grasp_and_say_why():
    bar = region_px(rect_px(320, 240, 160, 40, 0))
    frame = mask_of([rect_px(320, 240, 220, 100, 0)], [rect_px(320, 240, 166, 46, 0)])  # a 3 px gap all round
    plan = plan_grasps(bar, WH, obstacles=[frame], gripper=GRIPPER)
    assert not plan.ok and plan.error.kind == "no_grasp"
    assert "obstacle" in plan.error.message and plan.n_collisions > 0
    with pytest.raises(GraspError, match="obstacle"):
        plan.raise_for_error()


def test_obstacle_overlapping_the_target_does_not_veto_it():
    bar = region_px(rect_px(320, 240, 160, 40, 0))
    sloppy = mask_of([rect_px(320, 240, 160, 40, 0)])  # the target itself, passed as an obstacle by mistake
    plan = plan_2d(bar, WH, obstacles=[sloppy], gripper=GRIPPER)
    assert plan.grasps and math.dist(plan.grasps[0].center_px, (320, 240)) <= 1


def test_the_target_s_own_material_counts_as_an_obstacle():
    # a bar (y 150..180) on two legs 30 px thick and 6 px apart: closing across a leg would put a jaw
    # into the gap, onto the other leg; closing across the bar above a leg would put a jaw onto the leg
    shape = region_px(np.array([[200, 150], [366, 150], [366, 180], [316, 180], [316, 300], [286, 300], [286, 180],
                                [280, 180], [280, 300], [250, 300], [250, 180], [200, 180]], float))
    gripper = GripperConfig(max_opening_px=45, finger_width_px=10, finger_depth_px=8, clearance_px=4)
    plan = plan_2d(shape, WH, gripper=gripper, config=PlannerConfig(top_k=20))
    own = region_to_mask(shape, WH)
    assert plan.grasps and plan.n_collisions > 0
    for g in plan.grasps:
        assert not _hits(g, own, gripper, start=2.0), g
        assert not (250 <= g.center_px[0] <= 316 and g.center_px[1] > 185), g  # never across a leg
    assert any(g.center_px[0] < 245 for g in plan.grasps) and any(g.center_px[0] > 321 for g in plan.grasps)


def test_a_segmentation_works_as_target_and_obstacle():
    from PIL import Image

    from simpleseg_agent.testing.fakes import FakeAnswerBackend
    from simpleseg_agent.tools import SimpleSeg

    seg = SimpleSeg(FakeAnswerBackend(["[[[0.375, 0.458], [0.625, 0.458], [0.625, 0.542], [0.375, 0.542]]]"]))
    target = seg.segment(Image.new("RGB", WH), "the bar")
    plan = plan_2d(target, gripper=GRIPPER, obstacles=[target])
    assert plan.grasps and abs(plan.grasps[0].width_px - 40.3) < 1


# hostile input ----------------------------------------------------------------------------------
BAD_SHAPES = [
    ("empty region", Region.empty(), WH, "empty"),
    ("collinear polygon", Region.from_px([[[10, 10], [50, 50], [90, 90]]], WH), WH, "degenerate"),
    ("repeated point", Region.from_px([[[10, 10], [10, 10], [10, 10]]], WH), WH, "degenerate"),
    ("empty mask", np.zeros((480, 640), bool), None, "empty"),
    ("zero-size mask", np.zeros((0, 0), bool), None, "no pixels"),
    ("1-D array", np.ones(10, bool), None, "2-D"),
    ("mask with 0/2", np.full((4, 4), 2, np.uint8), None, "0/1"),
    ("region without size", Region.from_px([[[10, 10], [50, 10], [50, 50]]], WH), None, "resolution_wh"),
    ("zero image size", Region.from_px([[[10, 10], [50, 10], [50, 50]]], WH), (0, 0), "positive"),
    ("a list of points", [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]], WH, "Region"),
    ("mask of another size", np.ones((10, 10), bool), (20, 20), "resolution_wh"),
    ("None", None, WH, "Region"),
]


@pytest.mark.parametrize("name,shape,wh,message", BAD_SHAPES, ids=[b[0] for b in BAD_SHAPES])
def test_empty_and_degenerate_shapes_give_clear_errors(name, shape, wh, message):
    with pytest.raises(GeometryError, match=message):
        plan_2d(shape, wh, gripper=WIDE)
    plan = plan_grasps(shape, wh, gripper=WIDE)  # the tool-style call reports instead of raising
    assert not plan.ok and plan.error.kind == "geometry" and message in plan.error.message
    assert plan.grasps == [] and "failed (geometry)" in plan.summary()


def test_degenerate_polygons_are_refused_when_built():
    for bad in ([[0, 0], [1, 1]], [[0, 0], [np.nan, 1], [1, 1]], []):
        with pytest.raises(GeometryError):
            Region.from_px([bad], WH)


NO_GRASP = [
    ("one pixel", np.pad(np.ones((1, 1), bool), ((100, 379), (100, 539))), GripperConfig(max_opening_px=50),
     "narrower than min_opening_px"),
    ("sliver", region_px(rect_px(320, 240, 100, 0.5, 10)), GripperConfig(max_opening_px=50), "narrower"),
    ("too wide", region_px(circle_px(320, 240, 100)), GripperConfig(max_opening_px=50),
     "wider than the maximum opening (50.0 px; the narrowest crossing is"),
]


@pytest.mark.parametrize("name,shape,gripper,message", NO_GRASP, ids=[n[0] for n in NO_GRASP])
def test_shapes_the_gripper_cannot_hold_say_why(name, shape, gripper, message):
    plan = plan_grasps(shape, WH, gripper=gripper)
    assert not plan.ok and plan.error.kind == "no_grasp"
    assert message in plan.error.message


BAD_GRIPPERS = [
    (dict(max_opening_px=None, max_opening_m=None), "neither"),
    (dict(max_opening_px=-5), "max_opening_px must be a finite number > 0"),
    (dict(max_opening_px=float("nan")), "max_opening_px"),
    (dict(max_opening_px=True), "max_opening_px"),
    (dict(max_opening_m=85), "not millimetres"),
    (dict(max_opening_px=10, min_opening_px=10), "below max_opening_px"),
    (dict(max_opening_px=50, friction_coef=0), "friction_coef"),
    (dict(max_opening_px=50, finger_width_px=0), "finger_width_px"),
    (dict(max_opening_px=50, clearance_px=-1), "clearance_px"),
    (dict(max_opening_px="50"), "max_opening_px"),
]


@pytest.mark.parametrize("kwargs,message", BAD_GRIPPERS)
def test_gripper_config_is_validated(kwargs, message):
    with pytest.raises(GraspError, match=message):
        GripperConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs,message",
    [(dict(top_k=0), "top_k"), (dict(top_k=2.5), "top_k"), (dict(top_k=True), "top_k"), (dict(erode_px=-1), "erode_px"),
     (dict(sample_step_px=0), "sample_step_px"), (dict(depth_holes_m=0), "depth_holes_m"), (dict(min_part_fraction=1), "min_part_fraction"),
     (dict(max_samples=3), "max_samples")],
)
def test_planner_config_is_validated(kwargs, message):
    with pytest.raises(GraspError, match=message):
        PlannerConfig(**kwargs)


def test_configs_carry_help_text():
    for cls in (GripperConfig, PlannerConfig):
        helps = config_help(cls)
        assert helps and all(helps.values())


def test_metric_gripper_needs_a_scale():
    with pytest.raises(GraspError, match="max_opening_px"):
        plan_2d(region_px(circle_px(320, 240, 20)), WH)  # the default gripper is 8.5 cm, with no depth to convert
    plan = plan_2d(region_px(circle_px(320, 240, 20)), WH, px_per_m=750.0)  # 8.5 cm -> 63.75 px
    assert plan.max_opening_px == pytest.approx(63.75) and plan.grasps


def test_top_k_and_scores():
    plan = plan_2d(region_px(circle_px(320, 240, 50)), WH, gripper=WIDE, config=PlannerConfig(top_k=3))
    assert len(plan.grasps) == 3
    scores = [g.score for g in plan.grasps]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert set(plan.grasps[0].score_terms) == {"alignment", "medial", "centroid", "margin", "clearance"}


def test_self_intersecting_outline_is_repaired():
    bow_tie = Region.from_px([[[200, 200], [300, 260], [300, 200], [200, 260]]], WH)  # two triangles crossing
    plan = plan_2d(bow_tie, WH, gripper=WIDE)
    geom = material(bow_tie.repaired())
    assert plan.grasps and all(center_on_material(g, geom) and closing_segment_inside(g, geom) for g in plan.grasps)


def test_multi_part_shapes_and_specks():
    two = Region.from_px([rect_px(150, 240, 80, 30, 0), rect_px(450, 240, 80, 30, 90)], WH)
    plan = plan_2d(two, WH, gripper=WIDE, config=PlannerConfig(top_k=10))
    assert {g.part for g in plan.grasps} == {0, 1}
    noisy = mask_of([rect_px(320, 240, 120, 40, 0)])
    rng = np.random.default_rng(0)
    noisy[rng.integers(0, 480, 200), rng.integers(0, 640, 200)] = True  # specks
    noisy[238:240, 300:302] = False  # a pinhole
    g = plan_2d(noisy, gripper=WIDE).grasps[0]
    assert abs(g.width_px - 40) <= 1 and math.dist(g.center_px, (320, 240)) <= 1


# speed and imports ------------------------------------------------------------------------------
def test_planner_time_per_object():
    t = np.linspace(0, 2 * np.pi, 100, endpoint=False)
    r = 80 + 10 * np.sin(5 * t)
    shape = Region.from_px([np.column_stack([320 + r * np.cos(t), 240 + 0.8 * r * np.sin(t)])], WH)  # 100 vertices
    obstacle = region_px(rect_px(445, 240, 40, 80, 0))
    plan_2d(shape, WH, gripper=WIDE)  # warm up
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        plan = plan_2d(shape, WH, gripper=WIDE, obstacles=[obstacle])
        times.append(time.perf_counter() - t0)
    assert plan.grasps
    # the aim is < 20 ms on one core; CI machines are shared, so only a gross regression fails
    assert min(times) < 0.1, f"planner took {1000 * min(times):.1f} ms"


def test_grasp_package_imports_neither_torch_nor_trl():
    code = (
        "import sys, simpleseg_agent.grasp\n"
        "print(','.join(m for m in ('torch', 'trl', 'transformers') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
