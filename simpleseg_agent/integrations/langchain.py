"""LangChain tools: segment, locate_point and locate_box for tool-calling LLMs.

The LLM passes only a short query; the image comes from the caller (a fixed image or an image /
screenshot provider called at each use), so no bytes ever travel through the LLM. Each tool uses
``response_format="content_and_artifact"``: the content is a one-line text for the LLM, the
artifact the typed result (:mod:`simpleseg_agent.tools.results`) for the program.

Example (a named fake backend stands in for a model):
    >>> from PIL import Image
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> from simpleseg_agent.tools import SimpleSeg
    >>> seg = SimpleSeg(FakeAnswerBackend(["[[[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]]"]))
    >>> kit = SimpleSegToolkit(segmenter=seg, image=Image.new("RGB", (200, 100)))
    >>> [t.name for t in kit.get_tools()]
    ['segment', 'locate_point', 'locate_box']
    >>> msg = kit.get_tools()[0].invoke({"name": "segment", "args": {"query": "the square"}, "id": "1", "type": "tool_call"})
    >>> msg.content, msg.artifact.xyxy_px
    ("found 'the square': 1 part, box [50, 25, 150, 75] px, click at (100, 50) px", (50.0, 25.0, 150.0, 75.0))
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal, Optional

from .._optional import require

require("langchain_core", extra="langchain", feature="the LangChain tools")

from langchain_core.tools import BaseTool, BaseToolkit  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

from ..errors import ImageError  # noqa: E402
from ..tools import SimpleSeg  # noqa: E402
from ..tools.results import ToolError  # noqa: E402


class QueryArgs(BaseModel):
    """Arguments the LLM fills in."""

    query: str = Field(description="what to find, in a few words, e.g. 'the submit button' or 'the red mug'")


ImageProvider = Callable[[], Any]  # returns an ImageInput (path, bytes, PIL image, RGB array)


class _SimpleSegTool(BaseTool):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    args_schema: type[BaseModel] = QueryArgs
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    segmenter: SimpleSeg
    image_provider: ImageProvider
    _method: str = ""

    def _run(self, query: str, run_manager: Any = None) -> tuple[str, Any]:
        method = getattr(self.segmenter, self._method)
        try:
            image = self.image_provider()
        except Exception as exc:  # a screenshot provider can fail in many ways; report, do not crash the agent
            image = None
            error = ToolError(kind="image", message=f"the image provider failed: {exc}")
        else:
            error = None
        if image is None:
            from ..tools.results import BoxResult, PointResult, Segmentation

            cls = {"segment": Segmentation, "locate_point": PointResult, "locate_box": BoxResult}[self._method]
            result = cls(ok=False, query=query, error=error or ToolError(kind="image", message="no image available"))
        else:
            result = method(image, query)
        return result.summary(), result

    async def _arun(self, query: str, run_manager: Any = None) -> tuple[str, Any]:
        return await asyncio.to_thread(self._run, query)


class SegmentTool(_SimpleSegTool):
    name: str = "segment"
    description: str = (
        "Find an object or UI element in the current image and return its outline: box and a safe click "
        "point in pixels. Input: a short description such as 'the submit button'."
    )
    _method: str = "segment"


class LocatePointTool(_SimpleSegTool):
    name: str = "locate_point"
    description: str = "Find a point on an object or UI element in the current image, in pixels."
    _method: str = "locate_point"


class LocateBoxTool(_SimpleSegTool):
    name: str = "locate_box"
    description: str = "Find the bounding box of an object or UI element in the current image, in pixels."
    _method: str = "locate_box"


class SimpleSegToolkit(BaseToolkit):
    """The three tools on one segmenter and one image source.

    Args:
        segmenter: a :class:`~simpleseg_agent.tools.SimpleSeg`.
        image: a fixed image (path, bytes, PIL, RGB array), or
        image_provider: a callable returning the current image (e.g. a screenshot) at each call.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    segmenter: SimpleSeg
    image: Optional[Any] = None
    image_provider: Optional[ImageProvider] = None

    def _provider(self) -> ImageProvider:
        if self.image_provider is not None:
            return self.image_provider
        if self.image is not None:
            image = self.image
            return lambda: image
        raise ImageError("SimpleSegToolkit needs an image or an image_provider")

    def get_tools(self) -> list[BaseTool]:
        provider = self._provider()
        return [cls(segmenter=self.segmenter, image_provider=provider) for cls in (SegmentTool, LocatePointTool, LocateBoxTool)]
