"""No model answer can send the pointer outside the chosen monitor: hostile answers are refused or land inside."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from simpleseg_agent.agent import AgentActionError, Monitor, ScreenAgent, StaticScreen
from simpleseg_agent.agent.testing import RecordingPointer
from simpleseg_agent.errors import ModelError
from simpleseg_agent.testing.fakes import FakeAnswerBackend

# monitor 2 sits to the right of a 1920-wide one and is grabbed at 2x (HiDPI)
MONITOR = Monitor(2, 1920, 120, 1280, 800)
SHOT = Image.new("RGB", (2560, 1600), (236, 239, 244))

MILLION = "[[" + ", ".join(["[0.5, 0.5]"] * 1_000_000) + "]]"
HOSTILE = [
    ("empty", "", "not_found"),
    ("empty list", "[]", "not_found|parse"),
    ("prose", "I do not see a submit button.", "not_found"),
    ("out of range", "[[[0.5, 0.5], [5.0, 0.5], [5.0, 5.0], [0.5, 5.0]]]", "outside the screenshot"),
    ("0-1000 read as normalized", "[[[100, 200], [300, 200], [300, 400], [100, 400]]]", "outside the screenshot|no area"),
    ("0-1000 partly in range", "[[[0.5, 0.5], [300, 0.5], [300, 400], [0.5, 400]]]", "outside the screenshot"),
    ("huge", "[[[99999999999999999999, 0.5], [0.6, 0.5], [0.6, 0.6]]]", "outside the screenshot"),
    ("negative", "[[[-0.5, 0.1], [0.5, 0.1], [0.5, 0.5]]]", "parse"),
    ("nan", "[[[nan, 0.1], [0.5, 0.1], [0.5, 0.5]]]", "parse"),
    ("inf", "[[[inf, 0.1], [0.5, 0.1], [0.5, 0.5]]]", "parse"),
    ("scientific", "[[[1e9, 0.1], [0.5, 0.1], [0.5, 0.5]]]", "parse"),
    ("a million points", MILLION, "parse"),
    ("two points", "[[[0.1, 0.1], [0.5, 0.5]]]", "parse"),
    ("whole screen", "[[[0, 0], [1, 0], [1, 1], [0, 1]]]", "covers 100% of the monitor"),
    ("a few pixels", "[[[0.5, 0.5], [0.502, 0.5], [0.502, 0.502], [0.5, 0.502]]]", "square pixels"),
    ("a sliver", "[[[0.1, 0.5], [0.9, 0.5], [0.9, 0.5015], [0.1, 0.5015]]]", "too thin"),
    ("zero area", "[[[0.1, 0.1], [0.5, 0.1], [0.9, 0.1]]]", "geometry|no area"),
    ("truncated", "[[[0.1, 0.1], [0.5, 0.1], [0.5", "parse|not_found"),
]


def _agent(answers, **options) -> tuple[ScreenAgent, RecordingPointer]:
    pointer = RecordingPointer(start_xy=(2000, 500))
    agent = ScreenAgent(FakeAnswerBackend(answers), screen=StaticScreen(SHOT, MONITOR), pointer=pointer, monitor=2, pause_s=0.0, **options)
    return agent, pointer


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name,answer,reason", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_answers_are_refused_and_nothing_moves(name, answer, reason):
    agent, pointer = _agent([answer])
    with pytest.raises(AgentActionError, match=reason) as info:
        agent.click("the submit button")
    assert pointer.calls == []
    record = info.value.record
    assert record.status == "refused" and record.error
    assert record.frame is not None and record.frame.monitor_xywh == MONITOR.xywh


def test_a_model_failure_is_refused():
    agent, pointer = _agent([ModelError("the server is down")])
    with pytest.raises(AgentActionError, match="server is down"):
        agent.click("the submit button")
    assert pointer.calls == []


def test_allow_clamped_acts_but_stays_on_the_monitor():
    agent, pointer = _agent(["[[[0.9, 0.9], [5.0, 0.9], [5.0, 5.0], [0.9, 5.0]]]"], allow_clamped=True)
    record = agent.click("the corner")
    (xy,) = pointer.points()
    assert MONITOR.contains(xy) and xy == record.target.xy_action
    assert record.targets[0].clearance_px > 2


def test_drag_checks_both_ends():
    agent, pointer = _agent(lambda req: "[[[0.4, 0.4], [0.6, 0.4], [0.6, 0.5], [0.4, 0.5]]]" if "source" in req.prompt
                            else "[[[0, 0], [1, 0], [1, 1], [0, 1]]]")
    with pytest.raises(AgentActionError, match="covers 100%") as info:
        agent.drag("the source", "the target")
    assert pointer.calls == [] and len(info.value.record.targets) == 1


_wild = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**6, max_value=10**12),
    st.sampled_from([0, 1, 0.999999, 1.000001, 1000, -0.0]),
)
# mostly plausible numbers (so the answer parses and the chain's own bounds check is what is tested),
# with edge-hugging and out-of-range values mixed in
_coord = st.one_of(
    st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
    st.floats(0.98, 1.0), st.floats(0.0, 0.02), st.floats(1.0, 3.0), st.sampled_from([0.0, 1.0]),
)
_polygons = st.one_of(
    st.lists(st.lists(st.tuples(_coord, _coord), min_size=3, max_size=10), min_size=1, max_size=3),
    st.lists(st.lists(st.tuples(_wild, _wild), min_size=0, max_size=12), min_size=0, max_size=4),
)


def _text(polygons) -> str:
    def fmt(v):
        if isinstance(v, float) and math.isfinite(v) and abs(v) < 1e6:
            return f"{v:.6f}"  # as models write numbers (repr would use scientific notation, a parse error)
        return repr(v)

    return "[" + ", ".join("[" + ", ".join(f"[{fmt(x)}, {fmt(y)}]" for x, y in poly) + "]" for poly in polygons) + "]"


@pytest.mark.slow
@pytest.mark.timeout(300)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    polygons=_polygons,
    lenient=st.booleans(),
)
def test_no_answer_sends_the_pointer_off_the_monitor(polygons, lenient):
    # lenient: every plausibility check off, so only the coordinate chain's bounds check stands guard
    options = dict(allow_clamped=True, min_area_px=0.0, min_clearance_px=0.0, max_area_fraction=1.0) if lenient else {}
    agent, pointer = _agent([_text(polygons)], **options)
    try:
        agent.click("the thing")
    except AgentActionError:
        assert pointer.calls == []
    for xy in pointer.points():
        assert MONITOR.contains(xy), (xy, polygons)
