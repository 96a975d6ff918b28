"""LangChain click / type_into tools on the screen agent."""

from __future__ import annotations

import asyncio

import pytest
from PIL import Image

pytest.importorskip("langchain_core")

from simpleseg_agent.agent import ScreenAgent, StaticScreen  # noqa: E402
from simpleseg_agent.agent.testing import ColorGrounder, RecordingPointer  # noqa: E402
from simpleseg_agent.integrations.langchain_agent import ScreenAgentToolkit  # noqa: E402
from simpleseg_agent.testing.fakes import FakeAnswerBackend  # noqa: E402

from .scenes import phrases, random_buttons  # noqa: E402

BUTTON = "[[[0.45, 0.6], [0.55, 0.6], [0.55, 0.66], [0.45, 0.66]]]"


def _call(tool, **args):
    return tool.invoke({"name": tool.name, "args": args, "id": "call-1", "type": "tool_call"})


def _kit(answers=(BUTTON,), **options):
    pointer = RecordingPointer()
    agent = ScreenAgent(FakeAnswerBackend(list(answers)), screen=StaticScreen(Image.new("RGB", (1280, 800))),
                        pointer=pointer, pause_s=0.0, **options)
    tools = {t.name: t for t in ScreenAgentToolkit(agent=agent).get_tools()}
    return tools, pointer


@pytest.mark.parametrize("action,call", [("click", ("click", (640, 504), "left", 1)), ("double_click", ("click", (640, 504), "left", 2)),
                                         ("right_click", ("click", (640, 504), "right", 1)), ("hover", ("move", (640, 504)))])
def test_click_tool_acts(action, call):
    tools, pointer = _kit()
    msg = _call(tools["click"], query="the submit button", action=action)
    assert pointer.calls == [call]
    assert msg.artifact.status == "done" and "(640, 504)" in msg.content


def test_type_tool_types_and_presses_enter():
    tools, pointer = _kit()
    msg = _call(tools["type_into"], query="the email field", text="ada@example.org", enter=True)
    assert pointer.calls == [("click", (640, 504), "left", 1), ("write", "ada@example.org"), ("press", "enter")]
    assert "typed 'ada@example.org'" in msg.content


def test_a_refusal_is_text_for_the_llm():
    tools, pointer = _kit(["I cannot see it."])
    msg = _call(tools["click"], query="the submit button")
    assert msg.content.startswith("refused to click 'the submit button': the model's answer could not be used (not_found)")
    assert msg.artifact.status == "refused" and pointer.calls == []


def test_async_tools_work():
    tools, pointer = _kit()
    msg = asyncio.run(tools["click"].ainvoke({"name": "click", "args": {"query": "the submit button"}, "id": "2", "type": "tool_call"}))
    assert msg.artifact.status == "done" and pointer.calls


def test_segment_tool_looks_at_the_agents_screen():
    tools, _ = _kit()
    msg = _call(tools["segment"], query="the submit button")
    assert msg.artifact.image_wh == (1280, 800) and msg.artifact.xyxy_px == pytest.approx((576, 480, 704, 528))


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_click_tool_on_a_real_window(single_monitor, open_window):
    spec = random_buttons(30, (40, 40, 1200, 700), n=4)
    window = open_window(spec)
    agent = ScreenAgent(ColorGrounder(phrases()), pause_s=0.0)
    name = spec["widgets"][2]["name"]
    msg = _call(ScreenAgentToolkit(agent=agent).get_tools()[3], query=f"the {name} button")
    assert [e["name"] for e in window.sync() if e["event"] == "click"] == [name]
    assert msg.artifact.status == "done"
