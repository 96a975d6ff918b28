"""What every screen action returns and logs: the frames, the shape, the target, the outcome, the time.

An :class:`ActionRecord` is written for every action, done or not; a refused, declined or failed
action raises :class:`AgentActionError` (an :class:`~simpleseg_agent.errors.ActionError`) that
carries its record, so a wrong or missing click can be explained afterwards. :class:`ActionLog`
appends records as JSON lines.

Example:
    >>> r = ActionRecord(action="click", queries=["the OK button"], status="refused", error="the answer had no coordinates")
    >>> r.summary()
    "refused to click 'the OK button': the answer had no coordinates"
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ActionError

ActionKind = Literal["locate", "click", "double_click", "right_click", "hover", "drag", "type_into", "scroll"]
Status = Literal["planned", "done", "refused", "declined", "failed"]
XY = tuple[float, float]
IXY = tuple[int, int]

_VERBS = {
    "locate": "locate", "click": "click", "double_click": "double-click", "right_click": "right-click",
    "hover": "hover over", "drag": "drag", "type_into": "type into", "scroll": "scroll",
}


class FrameRecord(BaseModel):
    """The frames the target was computed in (see :mod:`simpleseg_agent.agent.frames`)."""

    model_config = ConfigDict(frozen=True)

    monitor_index: int
    monitor_xywh: tuple[int, int, int, int] = Field(description="the monitor on the desktop: left, top, width, height (logical px)")
    screenshot_wh: tuple[int, int] = Field(description="the screenshot's size in its own pixels")
    scale_xy: XY = Field(description="screenshot pixels per logical pixel (HiDPI factor)")
    model_input_wh: Optional[tuple[int, int]] = Field(None, description="the image size as the model saw it")
    model_space: str = Field("norm", description="the coordinate space of the model's answer: norm, 1000 or px")


class TargetRecord(BaseModel):
    """One located object: its shape, and the point acted on in every frame."""

    model_config = ConfigDict(frozen=True)

    query: str
    polygons_xy_norm: list[list[XY]] = Field(default_factory=list, description="the answered shape, normalized to the screenshot")
    xyxy_screenshot_px: Optional[tuple[float, float, float, float]] = None
    area_fraction: float = Field(0.0, description="the shape's area as a fraction of the monitor")
    clearance_px: float = Field(0.0, description="distance from the target to the shape's border, logical px")
    agreement: Optional[float] = Field(None, description="consensus decoding: how much the model's answers agreed, 0-1")
    xy_norm: XY
    xy_model: XY = Field(description="the target in the model's answer space (norm, 0-1000, or model-input pixels)")
    xy_screenshot_px: XY
    xy_monitor: XY
    xy_global: XY
    xy_action: IXY = Field(description="the integer desktop pixel the pointer is sent to")
    stage: Optional[str] = Field(None, description="what decided the shape (the tool result's stage: 'words', 'label', "
                                 "'role', ... when the screen's words decided; 'answer', 'snap', ... when the model did)")
    words_matched: Optional[str] = Field(None, description="the screen's words that matched the query's (None where the "
                                         "words did not decide)")
    candidates: Optional[int] = Field(None, description="how many elements' words matched the query's (the candidates "
                                      "considered; None where the words did not decide)")


class ActionLatency(BaseModel):
    """Seconds: grabbing the screenshot, in the model, planning (parsing, geometry, checks, overlay),
    acting (pointer calls, with pyautogui's pauses), in all; ``overhead_s`` is ``total_s - model_s``."""

    model_config = ConfigDict(frozen=True)

    screenshot_s: float = 0.0
    model_s: float = 0.0
    plan_s: float = 0.0
    act_s: float = 0.0
    total_s: float = 0.0

    @property
    def overhead_s(self) -> float:
        return max(self.total_s - self.model_s, 0.0)


class ActionRecord(BaseModel):
    """One action: what was asked, where it was planned, what happened.

    ``status``: ``planned`` (``locate`` or a dry run), ``done``, ``refused`` (the answer or the target
    failed a check), ``declined`` (the confirm callback said no), ``failed`` (the display or pointer failed).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    action: ActionKind
    queries: list[str]
    status: Status
    dry_run: bool = False
    text: Optional[str] = Field(None, description="type_into: the text typed")
    amount: Optional[int] = Field(None, description="scroll: clicks, positive up")
    frame: Optional[FrameRecord] = None
    targets: list[TargetRecord] = Field(default_factory=list, description="one per query (two for drag)")
    raw_answers: list[str] = Field(default_factory=list)
    model: str = ""
    error: Optional[str] = None
    error_kind: Optional[str] = Field(None, description="when a query's answer could not be used, the tool's error kind: "
                                      "'not_found' (nothing on the screen matches it), 'parse', 'model', ...")
    latency: ActionLatency = Field(default_factory=ActionLatency)
    started_at: float = Field(0.0, description="Unix time")
    overlay_path: Optional[str] = None
    overlay: Optional[Any] = Field(None, exclude=True, description="the overlay PIL image, when asked for")

    @property
    def ok(self) -> bool:
        return self.status in ("planned", "done")

    @property
    def target(self) -> Optional[TargetRecord]:
        """The first target (the only one except for ``drag``)."""
        return self.targets[0] if self.targets else None

    def summary(self) -> str:
        """One line for a person or an LLM."""
        what = " to ".join(repr(q) for q in self.queries)
        verb = _VERBS[self.action]
        if not self.ok:
            return f"{self.status} to {verb} {what}: {self.error}"
        where = "; ".join(f"{t.query!r} at ({t.xy_action[0]}, {t.xy_action[1]})" for t in self.targets)
        done = {"planned": "planned" + (" (dry run)" if self.dry_run else ""), "done": "done"}[self.status]
        extra = f", typed {self.text!r}" if self.text is not None and self.status == "done" else ""
        mon = f" on monitor {self.frame.monitor_index}" if self.frame else ""
        return f"{verb} {done}: {where}{mon}{extra}"


class AgentActionError(ActionError):
    """An action was refused, declined or failed; ``record`` says where and why."""

    def __init__(self, record: ActionRecord) -> None:
        super().__init__(record.summary())
        self.record = record


class ActionLog:
    """Appends records to a JSON-lines file (one object per line; the overlay image is left out).

    Example:
        >>> import tempfile
        >>> log = ActionLog(Path(tempfile.mkdtemp()) / "actions.jsonl")
        >>> log.write(ActionRecord(action="locate", queries=["x"], status="planned"))
        >>> [r["status"] for r in log.read()]
        ['planned']
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def write(self, record: ActionRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


__all__ = ["ActionKind", "ActionLatency", "ActionLog", "ActionRecord", "AgentActionError", "FrameRecord", "Status", "TargetRecord"]
