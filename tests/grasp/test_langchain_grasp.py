"""The LangChain grasp tool: a ToolCall gives a ToolMessage whose artifact is the typed GraspPlan."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from langchain_core.messages import ToolMessage

from simpleseg_agent.grammar import format_polygons
from simpleseg_agent.grasp import GraspPlan, GraspPlanner, GripperConfig, Intrinsics
from simpleseg_agent.integrations.langchain_grasp import GraspArgs, GraspTool
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import SimpleSeg

from .shapes import WH, rect_px

IMAGE = np.zeros((480, 640, 3), np.uint8)
DEPTH = np.full((480, 640), 0.75)
CAM = Intrinsics(600, 600, 319.5, 239.5)
BOX = f"It is at {format_polygons([rect_px(320, 240, 120, 40, 0) / WH])}."


def call(tool, args, call_id="call_1"):
    return tool.invoke({"name": tool.name, "args": args, "id": call_id, "type": "tool_call"})


def make_tool(answers=(BOX,), **kw):
    fake = FakeAnswerBackend(list(answers) if not callable(answers) else answers)
    kw.setdefault("planner", GraspPlanner(GripperConfig(max_opening_m=0.085)))
    if "frame_provider" not in kw:
        kw.setdefault("image", IMAGE)
        kw.setdefault("depth", DEPTH)
    kw.setdefault("intrinsics", CAM)
    return GraspTool(segmenter=SimpleSeg(fake), **kw), fake


def test_tool_call_returns_a_tool_message_with_the_typed_plan():
    tool, _ = make_tool()
    msg = call(tool, {"query": "the box"})
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "call_1"
    assert isinstance(msg.artifact, GraspPlan) and msg.artifact.ok
    assert msg.artifact.best.center_xyz_m == pytest.approx((0.0, 0.0, 0.75), abs=1e-3)
    assert msg.content.startswith("grasp for 'the box'") and "camera frame" in msg.content


def test_schema_asks_the_llm_for_words_only():
    tool, _ = make_tool()
    assert tool.args_schema is GraspArgs and tool.response_format == "content_and_artifact"
    assert set(tool.args_schema.model_json_schema()["properties"]) == {"query", "avoid"}


def test_avoid_list_is_segmented_and_kept_clear():
    bottle = f"It is at {format_polygons([np.array([[250, 196], [330, 196], [330, 217], [250, 217]]) / WH])}."

    def reply(request):
        return bottle if "bottle" in request.prompt else BOX

    tool, fake = make_tool(reply, planner=GraspPlanner(GripperConfig(max_opening_px=60)), depth=None)
    msg = call(tool, {"query": "the box", "avoid": ["the bottle"]})
    assert msg.artifact.ok and msg.artifact.n_collisions > 0
    assert [r.prompt for r in fake.requests] == ["What is the polygon of the box in the image?",
                                                "What is the polygon of the bottle in the image?"]
    assert msg.artifact.best.center_px[0] > 330


def test_frame_provider_is_called_at_each_use_and_may_give_depth():
    frames = [(IMAGE, DEPTH), IMAGE]
    calls = []

    def camera():
        calls.append(1)
        return frames[len(calls) - 1]

    tool, _ = make_tool(frame_provider=camera, planner=GraspPlanner(GripperConfig(max_opening_px=80, max_opening_m=0.085)))
    first = call(tool, {"query": "the box"}).artifact
    second = call(tool, {"query": "the box"}).artifact
    assert len(calls) == 2
    assert first.best.center_xyz_m is not None and second.best.center_xyz_m is None  # the second frame had no depth


def test_camera_failures_reach_the_llm_as_text():
    def broken():
        raise RuntimeError("camera unplugged")

    tool, fake = make_tool(frame_provider=broken)
    msg = call(tool, {"query": "the box"})
    assert msg.artifact.error.kind == "image" and "camera unplugged" in msg.content
    assert fake.requests == []
    tool, _ = make_tool(image=None, depth=None)
    assert call(tool, {"query": "x"}).artifact.error.kind == "image"
    tool, _ = make_tool(["nothing here"])
    msg = call(tool, {"query": "the unicorn"})
    assert not msg.artifact.ok and "not_found" in msg.content


def test_async_invocation():
    tool, _ = make_tool()
    msg = asyncio.run(tool.ainvoke({"name": "grasp", "args": {"query": "the box"}, "id": "c7", "type": "tool_call"}))
    assert isinstance(msg, ToolMessage) and msg.artifact.ok and msg.tool_call_id == "c7"
