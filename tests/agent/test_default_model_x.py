"""The shipped default model drives the screen agent end to end on real Tk windows styled like its training screens.

Each window is a generated easy screen never used in training (``find_button_screen`` skips the
training seeds) shown by :class:`~simpleseg_agent.agent.tk_layout.LayoutWindow` on the session's
Xvfb, with monitor 1 cut to the window (xrandr). The agent takes the mss screenshot, asks the real
default model for "the Submit button", checks and converts the answer, clicks with pyautogui; the
window process reports which element fired.

What is asserted: the real window gives the model the same pixels as the generated image (its
answer is the same), what fired is exactly the element under the click the agent planned (or
nothing, off every element), and, as the preset decodes with the screen's words read (Tesseract), that
the element is the Submit button. Without Tesseract the model chooses alone and misses some of these
screens (docs/default-model.md), so only the first two hold; CI installs it and requires it
(SIMPLESEG_REQUIRE_OCR).
"""

from __future__ import annotations

import os

import pytest

from simpleseg_agent.agent import AgentActionError, ScreenAgent
from simpleseg_agent.agent.tk_layout import LayoutWindow, clickable_at
from simpleseg_agent.backends.presets import DEFAULT_MODEL
from simpleseg_agent.tools import SimpleSeg
from simpleseg_agent.fixtures import find_button_screen

from .conftest import PARK_XY

pytestmark = pytest.mark.timeout(300)
QUERY = "the Submit button"


def _screens(n: int) -> list:
    out, seed = [], 0
    while len(out) < n:
        s = find_button_screen("Submit", start_seed=seed)
        out.append(s)
        seed = s.seed + 1
    return out


SCREENS = _screens(3)


@pytest.fixture(scope="module")
def default_tool():
    return SimpleSeg(DEFAULT_MODEL)


@pytest.mark.slow
@pytest.mark.parametrize("screen", SCREENS, ids=[f"seed{s.seed}" for s in SCREENS])
def test_the_default_model_clicks_through_the_agent_on_a_real_window(screen, default_tool, xserver, xpointer) -> None:
    on_image = default_tool.segment(screen.image, QUERY)
    w, h = screen.layout.size_wh
    xserver.set_monitors([(0, 0, w, h)])
    xpointer.warp(PARK_XY)
    try:
        with LayoutWindow(screen.layout, env=xserver.env()) as window:
            agent = ScreenAgent(default_tool, monitor=1, pause_s=0.0)
            try:
                record = agent.click(QUERY)
            except AgentActionError as exc:  # an implausible target is refused: nothing may fire
                record = exc.record
            fired = window.clicked()
    finally:
        xserver.set_monitors([])
    assert record.raw_answers and record.raw_answers[0] == on_image.raw_answer  # the same pixels, the same answer
    if record.status != "done":  # refused (no usable answer, an implausible target): nothing may fire
        assert record.status == "refused" and record.error and fired == []
        return
    assert record.frame.monitor_xywh == (0, 0, w, h)
    x, y = record.target.xy_action
    under = clickable_at(screen.layout, (x, y))
    assert fired == ([] if under is None else [under]), (record.raw_answers, (x, y), fired)
    if os.environ.get("SIMPLESEG_REQUIRE_OCR"):
        assert default_tool.decoding.read_text, "SIMPLESEG_REQUIRE_OCR is set but the default tool does not read the screen"
    if default_tool.decoding.read_text:  # the words tell Submit from the other buttons: the right one fired
        assert fired == [screen.element_index], (record.raw_answers, (x, y), fired, screen.element_index)
