"""The agent without a display: records, the action log, overlays, confirm, failures, headless imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from simpleseg_agent.agent import AgentActionError, AgentConfig, ScreenAgent, StaticScreen
from simpleseg_agent.agent.testing import RecordingPointer
from simpleseg_agent.backends.base import ModelPreset
from simpleseg_agent.errors import ActionError
from simpleseg_agent.grammar import CoordSpace
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import Decoding

BUTTON = "It is at [[[0.45, 0.6], [0.55, 0.6], [0.55, 0.66], [0.45, 0.66]]]."
SHOT = Image.new("RGB", (1280, 800), (236, 239, 244))


def _agent(answers=(BUTTON,), *, pointer=None, **options):
    pointer = pointer if pointer is not None else RecordingPointer()
    model = FakeAnswerBackend(list(answers) if not callable(answers) else answers, model_s=0.25)
    return ScreenAgent(model, screen=StaticScreen(SHOT), pointer=pointer, pause_s=0.0, **options), pointer


@pytest.mark.parametrize("action,args,calls", [
    ("click", (), [("click", (640, 504), "left", 1)]),
    ("double_click", (), [("click", (640, 504), "left", 2)]),
    ("right_click", (), [("click", (640, 504), "right", 1)]),
    ("hover", (), [("move", (640, 504))]),
    ("scroll", (-4,), [("scroll", -4, (640, 504))]),
    ("type_into", ("hello",), [("click", (640, 504), "left", 1), ("write", "hello")]),
    ("drag", ("the other button",), [("drag", (640, 504), (640, 504), "left")]),
    ("locate", (), []),
])
def test_every_action_acts_once_where_planned(action, args, calls):
    agent, pointer = _agent()
    record = getattr(agent, action)("the submit button", *args)
    assert pointer.calls == calls
    assert record.status == ("planned" if action == "locate" else "done")
    t = record.target
    assert t.xy_norm == pytest.approx((0.5, 0.63)) and t.xy_action == (640, 504)
    assert t.xy_screenshot_px == t.xy_monitor == t.xy_global == pytest.approx((640, 504))
    assert t.clearance_px == pytest.approx(24.0)
    assert t.polygons_xy_norm[0][0] == pytest.approx((0.45, 0.6))
    assert record.latency.model_s == pytest.approx(0.25 * len(record.queries))
    assert record.latency.total_s > 0  # (the fake reports model time it never spent)
    json.loads(record.model_dump_json())  # the whole record is JSON


def test_type_into_presses_enter_when_asked():
    agent, pointer = _agent()
    agent.type_into("the field", "x", enter=True)
    assert pointer.calls[-1] == ("press", "enter")


def test_target_in_model_space_is_recorded():
    preset = ModelPreset("px-model", "px-model", coord_space=CoordSpace.PIXELS)
    model = FakeAnswerBackend(["[[[576, 480], [704, 480], [704, 528], [576, 528]]]"], preset=preset)
    agent = ScreenAgent(model, screen=StaticScreen(SHOT), pointer=RecordingPointer(), pause_s=0.0)
    record = agent.locate("the submit button")
    assert record.frame.model_space == "px" and record.frame.model_input_wh == (1280, 800)
    assert record.target.xy_model == pytest.approx((640, 504))


def test_log_has_one_line_per_action_whatever_happened(tmp_path):
    log = tmp_path / "logs" / "actions.jsonl"
    agent, _ = _agent([BUTTON, "no idea", BUTTON], log_path=str(log))
    agent.click("the submit button")
    with pytest.raises(AgentActionError):
        agent.click("the cancel button")
    agent.confirm = lambda record: False
    with pytest.raises(AgentActionError, match="declined"):
        agent.click("the submit button")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["status"] for line in lines] == ["done", "refused", "declined"]
    assert lines[1]["raw_answers"] == ["no idea"] and "not_found" in lines[1]["error"]
    assert lines[0]["targets"][0]["xy_action"] == [640, 504] and "overlay" not in lines[0]


def test_overlays_on_request_and_in_a_folder(tmp_path):
    agent, _ = _agent(overlay_dir=str(tmp_path / "ov"))
    record = agent.click("the submit button", overlay=True)
    assert record.overlay.size == (1280, 800)
    assert Image.open(record.overlay_path).size == (1280, 800)
    # the planned click is marked at the target (the overlay's ring is drawn in the first color)
    assert record.overlay.getpixel((640, 504)) != SHOT.getpixel((640, 504))
    plain, _ = _agent()
    assert plain.click("the submit button").overlay is None


def test_refused_answers_still_draw_what_was_answered(tmp_path):
    agent, pointer = _agent(["[[[0, 0], [1, 0], [1, 1], [0, 1]]]"])
    with pytest.raises(AgentActionError, match="covers 100%") as info:
        agent.click("the page", overlay=True)
    assert info.value.record.overlay is not None and pointer.calls == []


class ExplodingPointer(RecordingPointer):
    def __init__(self, exc):
        super().__init__()
        self.exc = exc

    def click(self, xy, **kwargs):
        raise self.exc


class FailSafeException(Exception):
    """Stands for pyautogui.FailSafeException (matched by name, so pyautogui need not be imported)."""


def test_pointer_errors_are_failed_records_and_failsafe_passes_through(tmp_path):
    agent, _ = _agent(pointer=ExplodingPointer(OSError("broken pipe")), log_path=str(tmp_path / "log.jsonl"))
    with pytest.raises(AgentActionError, match="pointer call failed: OSError") as info:
        agent.click("the submit button")
    assert info.value.record.status == "failed"
    agent._pointer = ExplodingPointer(FailSafeException("corner"))
    with pytest.raises(FailSafeException):
        agent.click("the submit button")
    assert [r["status"] for r in agent.log.read()] == ["failed", "failed"]
    assert "fail-safe" in agent.log.read()[1]["error"]


@pytest.mark.parametrize("call,match", [
    (lambda a: a.click(""), "non-empty"),
    (lambda a: a.click("   "), "non-empty"),
    (lambda a: a.scroll("x", 0), "non-zero"),
    (lambda a: a.scroll("x", 10**9), "max_scroll_clicks"),
    (lambda a: a.scroll("x", True), "non-zero int"),
    (lambda a: a.type_into("x", "a" * 5000), "max_text_chars"),
])
def test_bad_arguments_are_refused_before_looking(call, match):
    agent, pointer = _agent()
    with pytest.raises(ActionError, match=match):
        call(agent)
    assert pointer.calls == []


def test_untypeable_text_is_refused_before_the_click():
    agent, pointer = _agent()
    with pytest.raises(AgentActionError, match="cannot type"):
        agent.type_into("the field", "naïve")
    assert pointer.calls == []


def test_options_override_the_config_and_are_checked():
    agent, _ = _agent(monitor=1, min_area_px=5.0)
    assert agent.config == AgentConfig(monitor=1, min_area_px=5.0, pause_s=0.0)
    with pytest.raises(ActionError, match="min_clearance_px must be >= 0"):
        _agent(min_clearance_px=-1)
    with pytest.raises(TypeError):
        _agent(no_such_option=1)


def test_min_agreement_refuses_answers_the_model_is_unsure_of():
    from simpleseg_agent.tools import SimpleSeg

    elsewhere = "[[[0.1, 0.1], [0.2, 0.1], [0.2, 0.16], [0.1, 0.16]]]"
    farther = "[[[0.8, 0.8], [0.9, 0.8], [0.9, 0.86], [0.8, 0.86]]]"

    def agent_with(answers, **options):
        seg = SimpleSeg(FakeAnswerBackend(answers), decoding=Decoding(samples=2))
        pointer = RecordingPointer()
        return ScreenAgent(seg, screen=StaticScreen(SHOT), pointer=pointer, pause_s=0.0, **options), pointer

    agent, pointer = agent_with([BUTTON], min_agreement=0.5)  # three answers, all the same
    assert agent.click("the submit button").target.agreement == 1.0 and pointer.calls == [("click", (640, 504), "left", 1)]
    agent, pointer = agent_with([BUTTON, elsewhere, farther], min_agreement=0.5)  # three different answers
    with pytest.raises(AgentActionError, match=r"3 answers agreed only 0.00 \(min_agreement is 0.5\)"):
        agent.click("the submit button")
    assert pointer.calls == []
    agent, pointer = _agent(min_agreement=0.5)  # greedy only: nothing to check the answer against
    with pytest.raises(AgentActionError, match="not decoded by consensus"):
        agent.click("the submit button")
    assert pointer.calls == []
    with pytest.raises(ActionError, match=r"min_agreement must be in \[0, 1\]"):
        _agent(min_agreement=1.5)


def test_static_screen_refuses_other_monitors():
    agent, _ = _agent(monitor=2)
    with pytest.raises(AgentActionError, match="no monitor 2") as info:
        agent.click("the submit button")
    assert info.value.record.status == "failed"


def _headless(code: str, display: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
    if display is not None:
        env["DISPLAY"] = display
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.timeout(150)
def test_headless_import_and_clear_errors_without_a_display():
    code = """
import sys
import simpleseg_agent, simpleseg_agent.agent, simpleseg_agent.agent.testing
assert not {'mss', 'pyautogui', 'torch'} & set(sys.modules), sorted({'mss', 'pyautogui', 'torch'} & set(sys.modules))
from simpleseg_agent.agent import AgentActionError, PyAutoGUIPointer, ScreenAgent
from simpleseg_agent.agent.screen import DisplayError
from simpleseg_agent.testing.fakes import FakeAnswerBackend
agent = ScreenAgent(FakeAnswerBackend(['[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]]']))
try:
    agent.click('the button')
except AgentActionError as exc:
    print('agent:', exc.record.status, exc)
try:
    PyAutoGUIPointer().position()
except DisplayError as exc:
    print('pointer:', exc)
print('pyautogui imported:', 'pyautogui' in sys.modules)
"""
    out = _headless(code)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("agent: failed") and "DISPLAY is not set" in lines[0] and "Xvfb" in lines[0]
    assert lines[1].startswith("pointer:") and "DISPLAY is not set" in lines[1]
    assert lines[2] == "pyautogui imported: False"


@pytest.mark.timeout(150)
def test_a_dead_display_is_a_clear_error():
    code = """
from simpleseg_agent.agent import MssScreen, PyAutoGUIPointer
from simpleseg_agent.agent.screen import DisplayError
for make in (lambda: MssScreen().grab(1), lambda: PyAutoGUIPointer().position()):
    try:
        make()
    except DisplayError as exc:
        print(str(exc)[:60])
"""
    out = _headless(code, display=":4242")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("cannot open the display for screenshots (':4242')")
    assert lines[1].startswith("pyautogui cannot connect to the display ':4242'")
