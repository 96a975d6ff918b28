"""LangChain tools: a ToolCall gives a ToolMessage whose artifact is the typed result."""

import asyncio

import numpy as np
import pytest
from langchain_core.messages import ToolMessage
from PIL import Image

from simpleseg_agent.errors import ImageError
from simpleseg_agent.integrations.langchain import QueryArgs, SimpleSegToolkit
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import BoxResult, PointResult, Segmentation, SimpleSeg

SQUARE = "[[[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]]"


def call(tool, query, call_id="call_1"):
    return tool.invoke({"name": tool.name, "args": {"query": query}, "id": call_id, "type": "tool_call"})


def toolkit(answers, **kw):
    fake = FakeAnswerBackend(answers)
    kw.setdefault("image", Image.new("RGB", (200, 100)))
    return SimpleSegToolkit(segmenter=SimpleSeg(fake), **kw), fake


def test_tool_call_returns_tool_message_with_typed_artifact():
    kit, _ = toolkit([SQUARE, "[0.5, 0.5]", "[0.1, 0.2, 0.3, 0.4]"])
    seg, point, box = kit.get_tools()
    msg = call(seg, "the square")
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "call_1"
    assert isinstance(msg.artifact, Segmentation) and msg.artifact.ok
    assert "click at (100, 50)" in msg.content
    assert isinstance(call(point, "p").artifact, PointResult)
    assert isinstance(call(box, "b").artifact, BoxResult)


def test_schemas_ask_the_llm_for_a_query_only():
    kit, _ = toolkit([SQUARE])
    for tool in kit.get_tools():
        assert tool.args_schema is QueryArgs
        assert list(tool.args_schema.model_json_schema()["properties"]) == ["query"]
        assert tool.response_format == "content_and_artifact"


def test_image_provider_is_called_at_each_use():
    frames = [np.zeros((100, 200, 3), np.uint8), np.zeros((50, 80, 3), np.uint8)]
    calls = []

    def screenshot():
        calls.append(1)
        return frames[len(calls) - 1]

    kit, fake = toolkit([SQUARE], image=None, image_provider=screenshot)
    seg = kit.get_tools()[0]
    call(seg, "a")
    call(seg, "b")
    assert [r.image.size for r in fake.requests] == [(200, 100), (80, 50)]


def test_failures_reach_the_llm_as_text_not_exceptions():
    kit, _ = toolkit(["no such object"])
    msg = call(kit.get_tools()[0], "the unicorn")
    assert msg.artifact.ok is False and "not_found" in msg.content

    def broken():
        raise RuntimeError("display :99 is gone")

    kit, fake = toolkit([SQUARE], image=None, image_provider=broken)
    msg = call(kit.get_tools()[0], "x")
    assert msg.artifact.error.kind == "image" and "display :99 is gone" in msg.content
    assert fake.requests == []


def test_toolkit_without_an_image_source():
    kit = SimpleSegToolkit(segmenter=SimpleSeg(FakeAnswerBackend([SQUARE])))
    with pytest.raises(ImageError):
        kit.get_tools()


def test_async_invocation():
    kit, _ = toolkit([SQUARE])
    seg = kit.get_tools()[0]
    msg = asyncio.run(seg.ainvoke({"name": "segment", "args": {"query": "x"}, "id": "c9", "type": "tool_call"}))
    assert isinstance(msg, ToolMessage) and msg.artifact.ok and msg.tool_call_id == "c9"
