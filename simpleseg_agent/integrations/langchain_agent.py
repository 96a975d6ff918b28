"""LangChain tools that act on the screen: ``click`` and ``type_into``, and a toolkit with the look-up tools.

The LLM passes only words (what to click, what to type); the :class:`~simpleseg_agent.agent.ScreenAgent`
takes the screenshot, checks the target and acts, with its safety settings (dry run, confirm callback,
fail-safe, bounds checks, action log). As in :mod:`.langchain`, the content is one line for the LLM and
the artifact the typed :class:`~simpleseg_agent.agent.ActionRecord`; a refused action is reported to
the LLM as text (it can rephrase), while pyautogui's fail-safe exception stops the agent loop.

Example (a fixed screenshot, a named fake backend, a dry run):
    >>> from PIL import Image
    >>> from simpleseg_agent.agent import ScreenAgent, StaticScreen
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> agent = ScreenAgent(FakeAnswerBackend(["[[[0.45, 0.6], [0.55, 0.6], [0.55, 0.66], [0.45, 0.66]]]"]),
    ...                     screen=StaticScreen(Image.new("RGB", (1280, 800))), dry_run=True)
    >>> kit = ScreenAgentToolkit(agent=agent)
    >>> [t.name for t in kit.get_tools()]
    ['segment', 'locate_point', 'locate_box', 'click', 'type_into']
    >>> msg = kit.get_tools()[3].invoke({"name": "click", "args": {"query": "the submit button"}, "id": "1", "type": "tool_call"})
    >>> msg.content
    "click planned (dry run): 'the submit button' at (640, 504) on monitor 1"
    >>> msg.artifact.target.xy_action
    (640, 504)
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from .._optional import require

require("langchain_core", extra="langchain", feature="the LangChain screen tools")

from langchain_core.tools import BaseTool  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

from ..agent import ActionRecord, AgentActionError, ScreenAgent  # noqa: E402
from ..errors import SimpleSegError  # noqa: E402
from .langchain import ERROR_HANDLING, QueryText, SimpleSegToolkit, tool_error  # noqa: E402


class ClickArgs(BaseModel):
    """Arguments the LLM fills in."""

    query: QueryText = Field(description="what to click, in a few words, e.g. 'the submit button'")
    action: Literal["click", "double_click", "right_click", "hover"] = Field(
        "click", description="click (default), double_click, right_click, or hover (move the pointer over it)"
    )


class TypeArgs(BaseModel):
    """Arguments the LLM fills in."""

    query: QueryText = Field(description="the text field to type into, e.g. 'the email field'")
    text: str = Field(description="the text to type")
    enter: bool = Field(False, description="press Enter after typing (submits many forms)")


def _outcome(call) -> tuple[str, ActionRecord]:
    try:
        record = call()
    except AgentActionError as exc:  # refused / declined / failed: the LLM reads why
        record = exc.record
    except SimpleSegError as exc:  # bad input the schema let through: a tool error, the agent run goes on
        raise tool_error(exc) from exc
    return record.summary(), record


class _AgentTool(BaseTool):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    agent: ScreenAgent
    handle_tool_error: Any = ERROR_HANDLING["handle_tool_error"]
    handle_validation_error: Any = ERROR_HANDLING["handle_validation_error"]

    async def _arun(self, *args: Any, run_manager: Any = None, **kwargs: Any) -> tuple[str, ActionRecord]:
        return await asyncio.to_thread(self._run, *args, **kwargs)


class ClickTool(_AgentTool):
    name: str = "click"
    description: str = (
        "Click a UI element on the screen, found by its description (e.g. 'the submit button'). "
        "Also double_click, right_click, or hover. Returns where it clicked, or why it did not."
    )
    args_schema: type[BaseModel] = ClickArgs

    def _run(self, query: str, action: str = "click", run_manager: Any = None) -> tuple[str, ActionRecord]:
        method = {"click": self.agent.click, "double_click": self.agent.double_click,
                  "right_click": self.agent.right_click, "hover": self.agent.hover}[action]
        return _outcome(lambda: method(query))


class TypeIntoTool(_AgentTool):
    name: str = "type_into"
    description: str = (
        "Click a text field on the screen, found by its description (e.g. 'the email field'), and type text "
        "into it; optionally press Enter. Returns where it typed, or why it did not."
    )
    args_schema: type[BaseModel] = TypeArgs

    def _run(self, query: str, text: str, enter: bool = False, run_manager: Any = None) -> tuple[str, ActionRecord]:
        return _outcome(lambda: self.agent.type_into(query, text, enter=enter))


class ScreenAgentToolkit(SimpleSegToolkit):
    """The look-up tools (segment, locate_point, locate_box) on the agent's current screenshot, plus
    ``click`` and ``type_into``; pass a :class:`~simpleseg_agent.agent.ScreenAgent` as ``agent``."""

    agent: ScreenAgent
    segmenter: Any = None

    def model_post_init(self, __context: Any) -> None:
        if self.segmenter is None:
            self.segmenter = self.agent.segmenter
        if self.image is None and self.image_provider is None:
            self.image_provider = lambda: self.agent.screenshot().image

    def get_tools(self) -> list[BaseTool]:
        return [*super().get_tools(), ClickTool(agent=self.agent), TypeIntoTool(agent=self.agent)]


__all__ = ["ClickArgs", "ClickTool", "ScreenAgentToolkit", "TypeArgs", "TypeIntoTool"]
