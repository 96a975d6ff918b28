"""The shipped stack (``SimpleSeg()``: the default model, grounding on the screen's OCR words first) clicks the
right widget of real windows on Xvfb, and the window itself says which one fired.

* ``simpleseg demo --click``: the demo's own Tk window of a generated screen; its Submit button fires.
* ``demos/gui_form.py --model simpleseg-gui-small``: a real Tk form is filled in and submitted, Submit alone
  fires, and the form receives what was typed.
* A stock Tk dialog nobody here drew (``tkinter.simpledialog.Dialog`` with its own OK and Cancel, labelled
  entries and a checkbutton in Tk's default look, ``stock_dialog.py``): "the OK button", "the Cancel button",
  "the Remember me checkbox" and "the Name field" each reach exactly that widget.
* A query naming nothing on the screen ("the Help button") is not found: no pointer move, no event, and
  ``simpleseg click`` exits 1.
* A stock Tk menu bar and ``ttk.Notebook`` (``stock_menus.py``), whose items an OCR engine reads as one line of
  text: "the Edit menu item" opens Edit, "the Advanced tab" shows Advanced.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from simpleseg_agent.agent import AgentActionError, ScreenAgent
from simpleseg_agent.agent._child import EventChild
from simpleseg_agent.screen.words import tesseract_path
from simpleseg_agent.tools import SimpleSeg

from .conftest import PARK_XY, SCREEN_WH, _missing

ROOT = Path(__file__).resolve().parents[2]
DIALOG = Path(__file__).with_name("stock_dialog.py")
MENUS = Path(__file__).with_name("stock_menus.py")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
SCREEN_W = SCREEN_WH[0]


def _env(base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)  # this checkout
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.fixture(scope="module", autouse=True)
def _needs_x_and_ocr():
    reason = _missing() or ("" if tesseract_path() else "tesseract is not installed (apt-get install tesseract-ocr)")
    if reason:
        if os.environ.get("SIMPLESEG_REQUIRE_X") or os.environ.get("SIMPLESEG_REQUIRE_OCR"):
            pytest.fail(f"a real-window test is required here but {reason}")
        pytest.skip(reason)


class StockDialog(EventChild):
    """``stock_dialog.py`` (or another script speaking the same lines) in a child process: ``widgets`` (global
    boxes), :meth:`sync` (events handled so far)."""

    what = "stock dialog"

    def __init__(self, env: dict, timeout_s: float = 30.0, script: Path = DIALOG) -> None:
        self.timeout_s = timeout_s
        self._token = 0
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=_env(env))
        self._start_reader()
        try:
            self.widgets = self._next(lambda e: e["event"] == "ready")["widgets"]
        except BaseException:
            self.close()
            raise


    def close(self) -> None:
        self._stop_child()

    def __enter__(self) -> StockDialog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _inside(xy, box) -> bool:
    x, y, w, h = box
    return x <= xy[0] < x + w and y <= xy[1] < y + h


@pytest.fixture(scope="module")
def default_tool():
    tool = SimpleSeg()
    yield tool
    tool.close()


# the demos ---------------------------------------------------------------------------------------------
def test_demo_click_fires_submit_in_its_own_window(tmp_path):
    env = _env({k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")})  # its own Xvfb
    out = subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "demo", "--click", "--pause-s", "0", "--json",
                          "--out", str(tmp_path / "demo.png")], capture_output=True, text=True, timeout=240, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["model"] == "simpleseg-gui-small" and report["status"] == "done"
    assert [f["text"] for f in report["fired"]] == ["Submit"] and report["intended_fired"] is True
    assert report["missed_xy"] == []
    x0, y0, x1, y1 = report["target"]["xyxy_px"]
    x, y = report["click_xy_px"]
    assert x0 <= x < x1 and y0 <= y < y1  # on the known box, whatever the window said
    assert report["iou"] > 0.8  # the outline is the button's, not its word's
    assert report["stage"] == "words" and report["words_matched"] == "Submit" and report["candidates"] == 1
    assert Image.open(tmp_path / "demo.png").size == tuple(report["screen"]["size_wh"])


def test_gui_form_with_the_shipped_model_submits_what_it_typed():
    env = _env({k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")})  # its own Xvfb
    out = subprocess.run([sys.executable, str(ROOT / "demos" / "gui_form.py"), "--model", "simpleseg-gui-small",
                          "--pause-s", "0", "--name", "Grace Hopper", "--email", "grace@navy.mil"],
                         capture_output=True, text=True, timeout=240, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "grounded from the form's known colors" not in out.stdout  # the real model, not the stand-in
    steps = [line for line in lines if line.startswith(("type into done", "click done"))]
    assert [s.split(":")[0] for s in steps] == ["type into done", "type into done", "click done"]
    assert "'the submit button'" in steps[2] and "stage words; words 'Submit'" in steps[2]
    assert lines[-2:] == ["buttons that fired: submit", "the form received: name='Grace Hopper' email='grace@navy.mil'"]


# a stock dialog ---------------------------------------------------------------------------------------
def test_the_default_stack_reaches_each_widget_of_a_stock_dialog(default_tool, single_monitor, xpointer, tmp_path):
    log = tmp_path / "actions.jsonl"
    # the dialog opens under the pointer, as one opened by a click does: no window manager moves the keyboard
    # focus then, and the dialog's grab would swallow every key unless the agent focuses the dialog
    xpointer.warp((SCREEN_W // 2, 400))
    with StockDialog(single_monitor.env()) as dialog:
        assert _inside(xpointer.position(), [min(b[0] for b in dialog.widgets.values()) - 20,
                                             min(b[1] for b in dialog.widgets.values()) - 20, 360, 200])
        boxes = dialog.widgets
        agent = ScreenAgent(default_tool, pause_s=0.05, log_path=str(log))
        for query, widget, fired in (
            ("the OK button", "ok", {"event": "ok", "values": {"name": "", "email": ""}, "remember": 0}),
            ("the Cancel button", "cancel", {"event": "cancel"}),
            ("the Remember me checkbox", "remember", {"event": "check", "name": "remember", "value": 1}),
        ):
            record = agent.click(query)
            events = dialog.sync()
            assert [e["name"] for e in events if e["event"] == "press"] == [widget], (query, record.target, events)
            assert [e for e in events if e["event"] != "press"] == [fired], (query, events)
            assert _inside(record.target.xy_action, boxes[widget])
        record = agent.type_into("the Name field", "Ada Lovelace")
        events = dialog.sync()
        assert [e["name"] for e in events if e["event"] == "press"] == ["name"]
        typed = [(e["name"], e["value"]) for e in events if e["event"] == "text"]
        assert typed and typed[-1] == ("name", "Ada Lovelace"), events  # no text event: the keys went nowhere
        assert {name for name, _ in typed} == {"name"}  # typed into that entry alone
        agent.click("the OK button")
        assert [e for e in dialog.sync() if e["event"] == "ok"] == \
            [{"event": "ok", "values": {"name": "Ada Lovelace", "email": ""}, "remember": 1}]
    steps = [json.loads(line) for line in log.read_text().splitlines()]
    assert [s["status"] for s in steps] == ["done"] * 5
    for s in steps:  # every step says what decided it: the stage, the words it matched, the candidates
        t = s["targets"][0]
        assert t["stage"] in ("words", "label", "role", "order", "relation", "first", "shortlist"), t
        assert t["words_matched"] and t["candidates"] >= 1, t
    assert steps[3]["targets"][0]["stage"] == "label"  # the field named by its label, not the label


def test_a_query_naming_nothing_is_not_found_and_nothing_is_clicked(default_tool, single_monitor, xpointer, tmp_path):
    with StockDialog(single_monitor.env()) as dialog:
        agent = ScreenAgent(default_tool, pause_s=0.05)
        with pytest.raises(AgentActionError) as info:
            agent.click("the Help button")
        record = info.value.record
        assert record.status == "refused" and record.error_kind == "not_found" and record.targets == []
        assert "'Help'" in record.error
        assert dialog.sync() == [] and xpointer.position() == PARK_XY

        out = subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "click", "the Help button", "--json",
                              "--pause-s", "0", "--overlay", str(tmp_path / "help.png")],
                             capture_output=True, text=True, timeout=240, env=_env(single_monitor.env()))
        assert out.returncode == 1, out.stdout + out.stderr
        cli_record = json.loads(out.stdout)
        assert cli_record["status"] == "refused" and cli_record["error_kind"] == "not_found"
        assert cli_record["targets"] == []
        assert Image.open(tmp_path / "help.png").size == (2560, 800)  # the picture says why
        assert dialog.sync() == [] and xpointer.position() == PARK_XY


# a stock menu bar and tab row ----------------------------------------------------------------------------
def test_the_default_stack_opens_a_menu_and_a_tab_of_a_stock_tk_window(default_tool, single_monitor, xpointer):
    env = _env(single_monitor.env())
    with StockDialog(single_monitor.env(), script=MENUS) as window:
        agent = ScreenAgent(default_tool, pause_s=0.05)
        for name in ("Edit", "Help"):
            record = agent.click(f"the {name} menu item")
            events = window.sync()
            assert [e for e in events if e["event"] == "menu"] == [{"event": "menu", "name": name}], (record.target, events)
            for _ in range(2):  # close the menu: Tk holds the pointer while one is open
                subprocess.run(["xdotool", "key", "Escape"], env=env, check=True, timeout=10)
            window.sync()
        record = agent.click("the Advanced tab")
        events = window.sync()
        assert [e for e in events if e["event"] == "tab"] == [{"event": "tab", "name": "Advanced"}], (record.target, events)
        assert record.targets[0].stage in ("words", "role", "first", "shortlist") and \
            record.targets[0].words_matched == "Advanced"
