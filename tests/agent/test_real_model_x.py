"""The tiny real checkpoints through the same path: screenshot -> transformers model -> checks -> pointer.

The random tiny model answers noise: whatever it says must be handled (refused without moving the
pointer, or acted on inside the monitor). The memorized tiny model learned ``screen_example()``'s
answer for "the submit button"; on a real window drawn the same way its click fires the button.
"""

from __future__ import annotations

import pytest

from simpleseg_agent.agent import AgentActionError, ScreenAgent
from simpleseg_agent.tools import Decoding, SimpleSeg

from .conftest import LEFT, PARK_XY

pytestmark = pytest.mark.timeout(240)


def screen_like_example() -> dict:
    """Monitor 1 (1280x800) drawn like ``screen_example()``: a white panel and a blue Submit button."""
    w, h = LEFT[2], LEFT[3]
    return {
        "geometry": list(LEFT), "bg": "#eceff4",
        "widgets": [
            {"name": "panel", "kind": "label", "text": "", "xywh": [int(0.30 * w), int(0.30 * h), int(0.40 * w), int(0.42 * h)], "bg": "#ffffff"},
            {"name": "submit", "kind": "button", "text": "Submit", "xywh": [int(0.45 * w), int(0.60 * h), int(0.10 * w), int(0.06 * h)],
             "bg": "#2563eb", "fg": "#ffffff"},
        ],
    }


@pytest.mark.slow
def test_the_random_tiny_model_is_handled(tiny_model_path, dual_monitors, open_window, xpointer):
    window = open_window(screen_like_example())
    agent = ScreenAgent(SimpleSeg(str(tiny_model_path), decoding=Decoding(max_new_tokens=48)), monitor=1, pause_s=0.0)
    try:
        record = agent.click("the submit button")
    except AgentActionError as exc:
        record = exc.record
        assert record.status == "refused" and record.raw_answers and record.error
        assert xpointer.position() == PARK_XY and window.sync() == []
    else:  # noise that happens to parse must still land on monitor 1
        assert record.status == "done" and record.frame.monitor_xywh == LEFT
        x, y = xpointer.position()
        assert 0 <= x < 1280 and 0 <= y < 800
    assert record.frame.model_input_wh is not None and record.latency.model_s > 0


@pytest.mark.slow
def test_the_memorized_model_clicks_submit(memorized_model_path, dual_monitors, open_window):
    window = open_window(screen_like_example())
    agent = ScreenAgent(SimpleSeg(str(memorized_model_path)), monitor=1, pause_s=0.0)
    record = agent.click("the submit button")
    assert [e["name"] for e in window.sync() if e["event"] == "click"] == ["submit"]
    assert record.target.xy_action == (640, 504)
    assert record.raw_answers[0].startswith("[[[0.450, 0.600]")
