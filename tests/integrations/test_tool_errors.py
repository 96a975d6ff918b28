"""A tool's bad input reaches the LLM as a tool error and the agent run goes on: a blank query (or any of the
project's errors) never escapes a tool and ends a tool-calling loop or a LangGraph run."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402

from simpleseg_agent.agent import ScreenAgent, StaticScreen  # noqa: E402
from simpleseg_agent.agent.testing import RecordingPointer  # noqa: E402
from simpleseg_agent.grasp import GraspPlanner, GripperConfig, Intrinsics  # noqa: E402
from simpleseg_agent.integrations.langchain import SimpleSegToolkit  # noqa: E402
from simpleseg_agent.integrations.langchain_agent import ScreenAgentToolkit  # noqa: E402
from simpleseg_agent.integrations.langchain_grasp import GraspTool  # noqa: E402
from simpleseg_agent.testing.fakes import FakeAnswerBackend  # noqa: E402
from simpleseg_agent.tools import SimpleSeg  # noqa: E402

SQUARE = "[[[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]]"
BLANKS = ["", "   ", "\n\t"]


def _tools() -> dict:
    """Every LangChain tool of the project, each on a named fake backend."""
    seg = SimpleSeg(FakeAnswerBackend([SQUARE]))
    tools = {t.name: t for t in SimpleSegToolkit(segmenter=seg, image=Image.new("RGB", (200, 100))).get_tools()}
    agent = ScreenAgent(FakeAnswerBackend([SQUARE]), screen=StaticScreen(Image.new("RGB", (320, 200))),
                        pointer=RecordingPointer(), pause_s=0.0)
    tools.update((t.name, t) for t in ScreenAgentToolkit(agent=agent).get_tools() if t.name in ("click", "type_into"))
    tools["grasp"] = GraspTool(segmenter=seg, planner=GraspPlanner(GripperConfig(max_opening_m=0.085)),
                               image=np.zeros((48, 64, 3), np.uint8), depth=np.full((48, 64), 0.8),
                               intrinsics=Intrinsics(60, 60, 31.5, 23.5))
    return tools


def _args(name: str, query: str) -> dict:
    return {"query": query, "text": "hello"} if name == "type_into" else {"query": query}


@pytest.mark.parametrize("query", BLANKS)
@pytest.mark.parametrize("name", ["segment", "locate_point", "locate_box", "click", "type_into", "grasp"])
def test_a_blank_query_comes_back_as_a_tool_error(name, query) -> None:
    tool = _tools()[name]
    msg = tool.invoke({"name": name, "args": _args(name, query), "id": "c1", "type": "tool_call"})
    assert isinstance(msg, ToolMessage) and msg.status == "error" and msg.tool_call_id == "c1"
    assert "query" in msg.content and "empty" in msg.content.lower()
    msg = asyncio.run(tool.ainvoke({"name": name, "args": _args(name, query), "id": "c2", "type": "tool_call"}))
    assert msg.status == "error" and "query" in msg.content


def test_a_query_is_stripped_before_the_model_sees_it() -> None:
    fake = FakeAnswerBackend([SQUARE])
    tool = SimpleSegToolkit(segmenter=SimpleSeg(fake), image=Image.new("RGB", (200, 100))).get_tools()[0]
    msg = tool.invoke({"name": "segment", "args": {"query": "  the square \n"}, "id": "c1", "type": "tool_call"})
    assert msg.status == "success" and msg.artifact.query == "the square"
    assert "  the square" not in fake.requests[0].prompt and "the square" in fake.requests[0].prompt


def test_a_project_error_inside_a_tool_comes_back_as_a_tool_error(monkeypatch) -> None:
    """An error the project raises below the schema's checks is the tool's error, with the project's message."""
    from simpleseg_agent.errors import PromptError

    tool = _tools()["segment"]

    def refuse(image, query):
        raise PromptError(f"text query: expected fewer words, got {query!r}")

    monkeypatch.setattr(tool.segmenter, "segment", refuse)
    msg = tool.invoke({"name": "segment", "args": {"query": "the square"}, "id": "c1", "type": "tool_call"})
    assert msg.status == "error" and "PromptError" in msg.content and "expected fewer words" in msg.content


def _blank_then_done() -> list[AIMessage]:
    return [AIMessage(content="", tool_calls=[{"name": "segment", "args": {"query": "  "}, "id": "call-blank"}]),
            AIMessage(content="", tool_calls=[{"name": "segment", "args": {"query": "the square"}, "id": "call-ok"}]),
            AIMessage(content="The square is at (100, 50).")]


def test_a_tool_calling_loop_runs_on_after_a_blank_query() -> None:
    """langchain-core's own tool-call machinery (a fake chat model that emits the calls, the tools' invoke with a
    ToolCall), in the loop every agent runs: the blank call gets an error message, the model tries again."""
    tools = _tools()
    llm = GenericFakeChatModel(messages=iter(_blank_then_done()))
    messages: list = [HumanMessage("where is the square?")]
    for _ in range(5):
        ai = llm.invoke(messages)
        messages.append(ai)
        if not ai.tool_calls:
            break
        messages.extend(tools[tc["name"]].invoke({**tc, "type": "tool_call"}) for tc in ai.tool_calls)
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.status for m in results] == ["error", "success"]
    assert "query" in results[0].content and results[1].artifact.ok
    assert messages[-1].content == "The square is at (100, 50)."


def test_a_langgraph_run_completes_after_a_blank_query() -> None:
    """The same in a LangGraph agent graph (model node, ToolNode, tools_condition)."""
    pytest.importorskip("langgraph")
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    tools = _tools()
    llm = GenericFakeChatModel(messages=iter(_blank_then_done()))
    graph = StateGraph(MessagesState)
    graph.add_node("model", lambda state: {"messages": [llm.invoke(state["messages"])]})
    graph.add_node("tools", ToolNode([tools["segment"]]))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    out = graph.compile().invoke({"messages": [HumanMessage("where is the square?")]}, {"recursion_limit": 10})
    results = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert [m.status for m in results] == ["error", "success"]
    assert "query" in results[0].content
    assert out["messages"][-1].content == "The square is at (100, 50)."
