"""The grasp tool on a segmenter with a named fake backend (the model is not under test here)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError, ModelError, NotFoundError
from simpleseg_agent.grammar import format_polygons
from simpleseg_agent.grasp import (
    GraspPlan,
    GraspPlanner,
    GripperConfig,
    Intrinsics,
    grasp,
)
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import SimpleSeg

from .shapes import WH, rect_px

IMAGE = np.zeros((480, 640, 3), np.uint8)
CAM = Intrinsics(600, 600, 319.5, 239.5)
BOX = rect_px(320, 240, 120, 40, 0)  # x 260..380, y 220..260
BOTTLE = np.array([[250, 196], [330, 196], [330, 217], [250, 217]], float)  # 3 px above the box's left part


def answer(poly_px) -> str:
    return f"It is at {format_polygons([np.asarray(poly_px) / WH])}."


def by_prompt(mapping):
    """A fake that answers by the object named in the prompt."""

    def reply(request):
        for name, text in mapping.items():
            if name in request.prompt:
                return text
        return "There is no such object."

    return reply


def test_grasp_returns_a_typed_plan():
    fake = FakeAnswerBackend([answer(BOX)], model_s=0.01)
    plan = grasp(SimpleSeg(fake), IMAGE, "the box", gripper=GripperConfig(max_opening_px=80))
    assert isinstance(plan, GraspPlan) and plan.ok
    assert plan.segmentation.ok and plan.segmentation.query == "the box"
    g = plan.best
    assert math.dist(g.center_px, (320, 240)) <= 1 and abs(g.width_px - 40) <= 1
    assert g.center_xyz_m is None  # 2-D only without depth
    assert plan.latency.model_s == pytest.approx(0.01) and plan.planner_ms > 0
    assert "grasp for 'the box'" in plan.summary()
    assert fake.requests[0].prompt == "What is the polygon of the box in the image?"
    again = GraspPlan.model_validate_json(plan.model_dump_json())  # serializable, for logs and agents
    assert again.best.center_px == g.center_px
    assert "grasps" in GraspPlan.model_json_schema()["properties"]


def test_grasp_with_depth_and_base_frame():
    depth = np.full((480, 640), 0.8)
    depth[220:260, 260:380] = 0.75
    T = np.array([[1, 0, 0, 0.4], [0, -1, 0, 0], [0, 0, -1, 0.8], [0, 0, 0, 1]], float)
    plan = grasp(SimpleSeg(FakeAnswerBackend([answer(BOX)])), IMAGE, "the box", depth=depth, intrinsics=CAM, T_base_camera=T)
    assert plan.ok, plan.summary()
    g = plan.best
    assert g.center_xyz_m == pytest.approx((0.0, 0.0, 0.75), abs=1e-3)
    assert g.width_m == pytest.approx(40 * 0.75 / 600, abs=2e-3)
    assert g.pose_matrix("base")[:3, 3] == pytest.approx([0.4, 0.0, 0.05], abs=1e-3)
    assert plan.depth.z_m == pytest.approx(0.75)


@pytest.mark.parametrize(
    "answers,kind,exc",
    [
        (["I do not see it."], "not_found", NotFoundError),
        ([ModelError("server down")], "model", ModelError),
        (["[[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]]"], "geometry", GeometryError),
    ],
)
def test_when_segmentation_fails_the_plan_says_why(answers, kind, exc):
    plan = grasp(SimpleSeg(FakeAnswerBackend(answers)), IMAGE, "the unicorn", gripper=GripperConfig(max_opening_px=80))
    assert not plan.ok and plan.error.kind == kind
    assert plan.error.message.startswith("segmentation failed")
    assert plan.segmentation is not None and not plan.segmentation.ok
    assert f"failed ({kind})" in plan.summary()
    with pytest.raises(exc):
        plan.raise_for_error()
    with pytest.raises(exc):
        grasp(SimpleSeg(FakeAnswerBackend(answers)), IMAGE, "x", gripper=GripperConfig(max_opening_px=80), raise_on_error=True)


def test_obstacles_by_query_are_segmented_and_avoided():
    fake = FakeAnswerBackend(by_prompt({"the box": answer(BOX), "the bottle": answer(BOTTLE)}))
    planner = GraspPlanner(GripperConfig(max_opening_px=60, finger_width_px=10))
    free = planner.grasp(SimpleSeg(fake), IMAGE, "the box")
    assert math.dist(free.best.center_px, (320, 240)) <= 1
    plan = planner.grasp(SimpleSeg(fake), IMAGE, "the box", obstacles=["the bottle", "the vase"])
    assert plan.ok and plan.n_collisions > 0
    assert plan.best.center_px[0] > 330  # moved off the bottle's side
    assert any("the vase" in note and "not_found" in note for note in plan.notes)


def test_the_default_gripper_needs_depth_or_pixels():
    plan = GraspPlanner().grasp(SimpleSeg(FakeAnswerBackend([answer(BOX)])), IMAGE, "the box")
    assert not plan.ok and plan.error.kind == "depth" and "max_opening_px" in plan.error.message


def test_an_unreadable_image_is_reported():
    plan = grasp(SimpleSeg(FakeAnswerBackend([answer(BOX)])), b"", "the box", gripper=GripperConfig(max_opening_px=80))
    assert not plan.ok and plan.error.kind == "image"


def test_plan_summary_for_an_llm_is_one_line():
    plan = grasp(SimpleSeg(FakeAnswerBackend([answer(BOX)])), IMAGE, "the box", depth=np.full((480, 640), 0.75), intrinsics=CAM)
    text = plan.summary()
    assert "\n" not in text and "m in the camera frame" in text and "cm" in text
    json.loads(plan.model_dump_json())
