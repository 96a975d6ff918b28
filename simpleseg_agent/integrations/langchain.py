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
from typing import Annotated, Any, Literal, Optional, Union

from .._optional import require

require("langchain_core", extra="langchain", feature="the LangChain tools")

from langchain_core.tools import BaseTool, BaseToolkit, ToolException  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError  # noqa: E402

from ..errors import ImageError, SimpleSegError  # noqa: E402
from ..images import load_image  # noqa: E402
from ..tools import SimpleSeg  # noqa: E402
from ..tools.results import ToolError  # noqa: E402

#: A query as the LLM writes it: surrounding whitespace dropped, at least one character left.
QueryText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def input_error_message(exc: ValidationError) -> str:
    """What the LLM reads when its arguments fail the tool's schema: each field, what was expected, what came.

    Example:
        >>> try:
        ...     QueryArgs(query="   ")
        ... except ValidationError as exc:
        ...     print(input_error_message(exc))
        invalid tool input: query: expected a short description of what to find, got an empty string ('   ')
    """
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "input"
        got = err.get("input")
        if err.get("type") == "string_too_short":
            parts.append(f"{field}: expected a short description of what to find, got an empty string ({got!r})")
        else:
            parts.append(f"{field}: {err.get('msg', 'invalid')}, got {got!r}"[:300])
    return "invalid tool input: " + "; ".join(parts)


def tool_error(exc: SimpleSegError) -> ToolException:
    """The project's error as a LangChain tool error: the agent run goes on and the LLM reads the message."""
    return ToolException(f"{type(exc).__name__}: {exc}")


#: How every tool of the project reports bad input: as a tool message with ``status="error"``, never by raising
#: out of the agent run (a LangGraph or ``create_agent`` run would end there).
ERROR_HANDLING: dict[str, Union[bool, Callable[[ValidationError], str]]] = {
    "handle_tool_error": True, "handle_validation_error": input_error_message,
}


class QueryArgs(BaseModel):
    """Arguments the LLM fills in."""

    query: QueryText = Field(description="what to find, in a few words, e.g. 'the submit button' or 'the red mug'")


ImageProvider = Callable[[], Any]  # returns an ImageInput (path, bytes, PIL image, RGB array)


class _SimpleSegTool(BaseTool):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    args_schema: type[BaseModel] = QueryArgs
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    segmenter: SimpleSeg
    image_provider: ImageProvider
    handle_tool_error: Any = ERROR_HANDLING["handle_tool_error"]
    handle_validation_error: Any = ERROR_HANDLING["handle_validation_error"]
    allow_remote_images: bool = False
    _method: str = ""

    def _run(self, query: str, run_manager: Any = None) -> tuple[str, Any]:
        try:
            return self._answer(query)
        except SimpleSegError as exc:  # bad input the schema let through: the LLM reads why
            raise tool_error(exc) from exc

    def _answer(self, query: str) -> tuple[str, Any]:
        method = getattr(self.segmenter, self._method)
        error = None
        try:
            image = self.image_provider()
        except Exception as exc:  # a screenshot provider can fail in many ways; report, do not crash the agent
            image = None
            error = ToolError(kind="image", message=f"the image provider failed: {exc}")
        if isinstance(image, str):  # a path, a data URI, base64 or a URL: read here, where remote fetches are allowed
            try:
                image = load_image(image, allow_remote=self.allow_remote_images)
            except ImageError as exc:
                image, error = None, ToolError(kind="image", message=str(exc))
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
        image: a fixed image (path, data URI, base64, http(s) URL, bytes, PIL, RGB array), or
        image_provider: a callable returning the current image (e.g. a screenshot) at each call.
        allow_remote_images: fetch an image given as an ``http(s)`` URL (off by default: the program, not the
            LLM, decides which hosts it reaches; see :func:`~simpleseg_agent.images.load_image`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    segmenter: SimpleSeg
    image: Optional[Any] = None
    image_provider: Optional[ImageProvider] = None
    allow_remote_images: bool = False

    def _provider(self) -> ImageProvider:
        if self.image_provider is not None:
            return self.image_provider
        if self.image is not None:
            image = self.image
            return lambda: image
        raise ImageError("SimpleSegToolkit needs an image or an image_provider")

    def get_tools(self) -> list[BaseTool]:
        provider = self._provider()
        return [cls(segmenter=self.segmenter, image_provider=provider, allow_remote_images=self.allow_remote_images)
                for cls in (SegmentTool, LocatePointTool, LocateBoxTool)]
