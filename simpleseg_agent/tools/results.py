"""Typed results of the tools: pydantic models with a JSON schema, readable on failure too.

Every result says ``ok``; a failed call (unparseable answer, nothing found, model or image error)
is still a result, with ``error.kind`` and ``error.message``, and ``raise_for_error()`` turns it into
the library exception for callers who prefer exceptions.

Example:
    >>> r = PointResult(ok=False, query="the cat", error=ToolError(kind="not_found", message="no coordinates"))
    >>> r.summary()
    "locate_point('the cat') failed (not_found): no coordinates"
    >>> r.raise_for_error()
    Traceback (most recent call last):
    ...
    simpleseg_agent.errors.NotFoundError: no coordinates
"""

from __future__ import annotations

from typing import Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..errors import GeometryError, ImageError, ModelError, NotFoundError, ParseError

XY = tuple[float, float]
XYXY = tuple[float, float, float, float]
ErrorKind = Literal["parse", "not_found", "model", "image", "geometry"]
SnapKind = Literal["model", "overlap"]
_READ = ("the words read on the chosen element, in reading order, when the screen's words helped choose "
         "(read_text); '' for an element without words; None where the screen was not read")
_SNAPPED = ("snapped to a screen element (near the answer, or anywhere for a choice-trained model): 'model' the "
            "model chose it among the shapes the pixels show, 'overlap' it overlaps the answer most; None: the "
            "model's own outline")

Stage = Literal["answer", "consensus", "choice", "snap", "words", "label", "role", "order", "relation", "first",
                "shortlist"]
_DECODING = ("the resolved decoding that produced this result (simpleseg_agent.tools.decoding.Decoding, as a dict); "
             "None where no tool produced it")
_STAGE = ("what decided the answer: 'answer' the model's generated answer, 'consensus' the answer that agreed best "
          "with the samples, 'choice' the model's choice among the screen's elements without an answer, 'snap' the "
          "screen element the answer snapped to; grounding on the screen's words (ground): 'words' the only element "
          "whose words spell the query's, 'label' the control beside the label they spell, 'role' the one of several "
          "the role's layout points to, 'order' the one the query's ordinal counts to, 'relation' the one on the "
          "named side of the anchor words, 'shortlist' the model's pick among tied elements, 'first' the first of "
          "tied elements in reading order")
_FALLBACK = ("a step of the decoding that did not run as configured, why, and what ran instead (e.g. the choice "
             "among the screen's elements failed and the answer was generated); None when every step ran")

#: The library exception of each failure kind (``raise_for_error``); grasp results extend it.
TOOL_EXCEPTIONS = _EXCEPTIONS = {
    "parse": ParseError,
    "not_found": NotFoundError,
    "model": ModelError,
    "image": ImageError,
    "geometry": GeometryError,
}


class ToolError(BaseModel):
    """Why a tool call failed."""

    kind: ErrorKind
    message: str


class Latency(BaseModel):
    """Where the time went: ``model_s`` in the model, ``overhead_s`` in our code, ``total_s`` both."""

    model_s: float = 0.0
    overhead_s: float = 0.0
    total_s: float = 0.0


class ClickPoint(BaseModel):
    """A point well inside the object: ``clearance_px`` is its distance to the border."""

    xy_px: XY
    xy_norm: XY
    clearance_px: float


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    query: str = Field("", description="what was asked for (the phrase, or the point/box query)")
    prompt: str = Field("", description="the exact text sent to the model")
    raw_answer: str = Field("", description="the model's answer text")
    answer_tokens: int = Field(0, description="tokens the model generated")
    truncated: bool = Field(False, description="the answer was cut off; only complete polygons were kept")
    clamped: bool = Field(False, description="some coordinates were outside the image and were clamped")
    image_wh: Optional[tuple[int, int]] = Field(None, description="width, height of the input image in pixels")
    model_input_wh: Optional[tuple[int, int]] = Field(None, description="image size as the model saw it")
    model: str = ""
    latency: Latency = Field(default_factory=Latency)
    samples: int = Field(0, description="sampled answers besides the greedy one (consensus decoding); 0: greedy only")
    agreement: Optional[float] = Field(None, description="with samples: how much the answers agreed, 0-1")
    decoding: Optional[dict[str, Any]] = Field(None, description=_DECODING)
    stage: Optional[Stage] = Field(None, description=_STAGE)
    words_matched: Optional[str] = Field(None, description="grounding: the screen's words that matched the query's "
                                         "(None where the screen's words did not decide)")
    candidates: Optional[int] = Field(None, description="grounding: how many runs of the screen's words matched the "
                                      "query's (the elements considered)")
    fallback: Optional[str] = Field(None, description=_FALLBACK)
    error: Optional[ToolError] = None

    _tool: str = "tool"

    def raise_for_error(self) -> None:
        """Raise the library exception matching ``error.kind`` if the call failed."""
        if self.error is not None:
            raise _EXCEPTIONS[self.error.kind](self.error.message)

    def _failed(self) -> str:
        assert self.error is not None  # only called when not ok
        return f"{self._tool}({self.query!r}) failed ({self.error.kind}): {self.error.message}"


class Segmentation(_Result):
    """The object as polygons (normalized and in pixels), its box, area and a click target."""

    polygons_xy_norm: list[list[XY]] = Field(default_factory=list, description="one polygon per part, [0, 1]")
    polygons_xy_px: list[list[XY]] = Field(default_factory=list, description="the same in image pixels")
    xyxy_norm: Optional[XYXY] = None
    xyxy_px: Optional[XYXY] = None
    area_norm: Optional[float] = Field(None, description="area as a fraction of the image")
    area_px: Optional[float] = None
    click: Optional[ClickPoint] = None
    snapped: Optional[SnapKind] = Field(None, description=_SNAPPED)
    read_words: Optional[str] = Field(None, description=_READ)

    _tool: str = "segment"

    def region(self):
        """The polygons as a :class:`~simpleseg_agent.geometry.Region`."""
        from ..geometry import Region

        return Region.from_polygons(self.polygons_xy_norm) if self.polygons_xy_norm else Region.empty()

    def mask(self) -> np.ndarray:
        """The ``(H, W)`` bool mask at the input image's resolution (computed on demand)."""
        from ..geometry import region_to_mask

        if self.image_wh is None:
            raise GeometryError("this result has no image size to rasterize at")
        return region_to_mask(self.region(), self.image_wh)

    def summary(self) -> str:
        """A short text for an LLM."""
        if not self.ok:
            return self._failed()
        box = ", ".join(f"{v:.0f}" for v in self.xyxy_px or ())
        click = f", click at ({self.click.xy_px[0]:.0f}, {self.click.xy_px[1]:.0f}) px" if self.click else ""
        parts = len(self.polygons_xy_norm)
        reads = f", it reads {self.read_words!r}" if self.read_words else ""
        return f"found {self.query!r}: {parts} part{'s' if parts != 1 else ''}, box [{box}] px{click}{reads}"


class PointResult(_Result):
    """A point on the object."""

    xy_norm: Optional[XY] = None
    xy_px: Optional[XY] = None

    _tool: str = "locate_point"

    def summary(self) -> str:
        if not self.ok:
            return self._failed()
        return f"{self.query!r} is at ({self.xy_px[0]:.0f}, {self.xy_px[1]:.0f}) px"


class BoxResult(_Result):
    """The object's bounding box and its centre as a click point."""

    xyxy_norm: Optional[XYXY] = None
    xyxy_px: Optional[XYXY] = None
    click: Optional[ClickPoint] = None
    snapped: Optional[SnapKind] = Field(None, description=_SNAPPED)
    read_words: Optional[str] = Field(None, description=_READ)

    _tool: str = "locate_box"

    def summary(self) -> str:
        if not self.ok:
            return self._failed()
        box = ", ".join(f"{v:.0f}" for v in self.xyxy_px)
        reads = f", it reads {self.read_words!r}" if self.read_words else ""
        return f"{self.query!r} is in the box [{box}] px{reads}"
