"""A LangChain tool that plans a grasp from a query: ``grasp(query, avoid=[...])``.

The LLM passes only words; the camera frame (an RGB image, optionally with a registered depth
image) comes from the caller: fixed ``image`` / ``depth``, or a ``frame_provider`` called at each
use that returns an image or an ``(image, depth)`` pair. As in :mod:`.langchain`, the tool uses
``response_format="content_and_artifact"``: the content is one line for the LLM, the artifact the
typed :class:`~simpleseg_agent.grasp.GraspPlan` for the robot program.

Example (a named fake backend stands in for a model):
    >>> import numpy as np
    >>> from simpleseg_agent.grasp import GraspPlanner, GripperConfig, Intrinsics
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> from simpleseg_agent.tools import SimpleSeg
    >>> seg = SimpleSeg(FakeAnswerBackend(["[[[0.4, 0.4], [0.6, 0.4], [0.6, 0.5], [0.4, 0.5]]]"]))
    >>> tool = GraspTool(segmenter=seg, planner=GraspPlanner(GripperConfig(max_opening_m=0.085)),
    ...                  image=np.zeros((480, 640, 3), np.uint8), depth=np.full((480, 640), 0.8),
    ...                  intrinsics=Intrinsics(600, 600, 319.5, 239.5))
    >>> msg = tool.invoke({"name": "grasp", "args": {"query": "the box"}, "id": "1", "type": "tool_call"})
    >>> for piece in msg.content.split("; "): print(piece)
    grasp for 'the box': centre (320, 216) px, angle -90.0 deg, width 48.0 px
    3-D (0.000, -0.032, 0.800) m in the camera frame, width 6.4 cm
    score 1.00 (5 candidates kept)
    >>> [round(v, 4) for v in msg.artifact.best.center_xyz_m]
    [0.0, -0.032, 0.8]
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal, Optional

from .._optional import require

require("langchain_core", extra="langchain", feature="the LangChain grasp tool")

from langchain_core.tools import BaseTool  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

from ..errors import ImageError, SimpleSegError  # noqa: E402
from ..grasp import GraspPlan, GraspPlanner, GraspToolError, Intrinsics  # noqa: E402
from ..tools import SimpleSeg  # noqa: E402
from .langchain import ERROR_HANDLING, QueryText, tool_error  # noqa: E402


class GraspArgs(BaseModel):
    """Arguments the LLM fills in."""

    query: QueryText = Field(description="the object to pick up, in a few words, e.g. 'the red mug'")
    avoid: list[QueryText] = Field(default_factory=list, description="other objects the gripper's jaws must not touch, e.g. ['the bottle']")


FrameProvider = Callable[[], Any]  # returns an image, or (image, depth)


class GraspTool(BaseTool):
    """Plan a parallel-jaw grasp for an object named by the LLM.

    Args:
        segmenter: a :class:`~simpleseg_agent.tools.SimpleSeg`.
        planner: a :class:`~simpleseg_agent.grasp.GraspPlanner` (the gripper and planner settings).
        image, depth: a fixed frame, or
        frame_provider: a callable returning the current image or ``(image, depth)`` at each call.
        intrinsics: the colour camera's :class:`~simpleseg_agent.grasp.Intrinsics` (needed with depth).
        T_base_camera: 4x4 camera-to-base transform, for base-frame poses.
        depth_scale: metres per unit of an integer depth image (0.001 for millimetres).
        obstacles: fixed obstacles (Regions, masks, Segmentations or query strings) always avoided.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "grasp"
    description: str = (
        "Plan a robot grasp for an object in the current camera view: returns where the gripper's jaws "
        "close (pixels, angle, opening) and, with depth, the 3-D grasp point in metres. "
        "Input: a short description such as 'the red mug', and optionally objects to avoid."
    )
    args_schema: type[BaseModel] = GraspArgs
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    segmenter: SimpleSeg
    planner: GraspPlanner = Field(default_factory=GraspPlanner)
    image: Optional[Any] = None
    depth: Optional[Any] = None
    frame_provider: Optional[FrameProvider] = None
    intrinsics: Optional[Intrinsics] = None
    T_base_camera: Optional[Any] = None
    depth_scale: Optional[float] = None
    obstacles: list[Any] = Field(default_factory=list)
    handle_tool_error: Any = ERROR_HANDLING["handle_tool_error"]
    handle_validation_error: Any = ERROR_HANDLING["handle_validation_error"]

    def _frame(self) -> tuple[Any, Any]:
        if self.frame_provider is not None:
            frame = self.frame_provider()
            if isinstance(frame, tuple):
                if len(frame) != 2:
                    raise ImageError(f"a frame provider returns an image or (image, depth), got a tuple of {len(frame)}")
                return frame
            return frame, None
        if self.image is None:
            raise ImageError("GraspTool needs an image (and depth) or a frame_provider")
        return self.image, self.depth

    def _run(self, query: str, avoid: Optional[list[str]] = None, run_manager: Any = None) -> tuple[str, GraspPlan]:
        try:
            return self._plan(query, avoid)
        except SimpleSegError as exc:  # bad input the schema let through: a tool error, the agent run goes on
            raise tool_error(exc) from exc

    def _plan(self, query: str, avoid: Optional[list[str]]) -> tuple[str, GraspPlan]:
        try:
            image, depth = self._frame()
        except Exception as exc:  # a camera can fail in many ways; report it, do not crash the agent
            plan = GraspPlan(ok=False, query=query, error=GraspToolError(kind="image", message=f"no camera frame: {exc}"))
            return plan.summary(), plan
        if image is None:
            plan = GraspPlan(ok=False, query=query, error=GraspToolError(kind="image", message="no image available"))
            return plan.summary(), plan
        plan = self.planner.grasp(
            self.segmenter, image, query,
            obstacles=[*self.obstacles, *(avoid or [])],
            depth=depth,
            intrinsics=self.intrinsics if depth is not None else None,
            T_base_camera=self.T_base_camera if depth is not None else None,
            depth_scale=self.depth_scale,
        )
        return plan.summary(), plan

    async def _arun(self, query: str, avoid: Optional[list[str]] = None, run_manager: Any = None) -> tuple[str, GraspPlan]:
        return await asyncio.to_thread(self._run, query, avoid)
