"""Grounding on a real Tk window on a private Xvfb, read from a real screenshot (mss) by the real engines:
a field labelled on its left, one labelled above, a grey button and a white-on-blue one. The true boxes are
the widgets' own (Tk's winfo geometry)."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest
from PIL import Image

from simpleseg_agent.screen.grounding import ground
from simpleseg_agent.screen.perception import Perceiver

SPEC = {
    "geometry": [60, 40, 560, 330], "bg": "#eceff4", "title": "Sign up",
    "widgets": [
        {"name": "name_label", "kind": "label", "text": "Full name", "xywh": [20, 30, 110, 28], "bg": "#eceff4"},
        {"name": "name", "kind": "entry", "xywh": [150, 30, 370, 28], "bg": "#ffffff"},
        {"name": "email_label", "kind": "label", "text": "Email address", "xywh": [20, 90, 130, 24], "bg": "#eceff4"},
        {"name": "email", "kind": "entry", "xywh": [20, 118, 500, 28], "bg": "#ffffff"},
        {"name": "cancel", "kind": "button", "text": "Cancel", "xywh": [300, 250, 100, 34]},
        {"name": "submit", "kind": "button", "text": "Submit", "xywh": [420, 250, 100, 34], "bg": "#2563eb", "fg": "#ffffff"},
    ],
}


@pytest.fixture(scope="module")
def tk_screen():
    missing = [m for m in ("mss", "tkinter") if importlib.util.find_spec(m) is None]
    if shutil.which("Xvfb") is None or missing:
        reason = f"needs Xvfb, mss and tkinter (missing: {missing or ['Xvfb']})"
        if os.environ.get("SIMPLESEG_REQUIRE_X"):
            pytest.fail(reason)
        pytest.skip(reason)
    import mss

    from simpleseg_agent.agent.testing import TkWindow, XvfbServer

    with XvfbServer((800, 420)) as server, TkWindow(SPEC, env=server.env()) as window:
        window.sync()
        saved = {k: os.environ.get(k) for k in ("DISPLAY", "XAUTHORITY")}
        os.environ.update(DISPLAY=server.display, XAUTHORITY=server.xauthority)  # mss reads them
        try:
            with (mss.MSS() if hasattr(mss, "MSS") else mss.mss()) as grab:
                shot = grab.grab(grab.monitors[0])
                img = Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        boxes = {k: (x, y, x + w, y + h) for k, (x, y, w, h) in window.geometry.items()}
    return img, boxes


def _inside(xy, box) -> bool:
    return box[0] <= xy[0] <= box[2] and box[1] <= xy[1] <= box[3]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ["tesseract", "rapidocr", "tesseract+rapidocr"])
@pytest.mark.parametrize(("query", "key"), [("the Full name field", "name"), ("the Email address field", "email"),
                                            ("the Cancel button", "cancel"), ("the Submit button", "submit"),
                                            ('click "Submit"', "submit")])
def test_ground_on_a_real_tk_window(tk_screen, engine, query, key):
    img, boxes = tk_screen
    g = ground(query, _perceivers(engine).perceive(img))
    assert g.found and _inside(g.click_xy_px, boxes[key]), (g, boxes[key])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ["tesseract", "rapidocr"])
def test_nothing_named_on_a_real_tk_window(tk_screen, engine):
    img, _ = tk_screen
    g = ground("the Delete button", _perceivers(engine).perceive(img))
    assert not g.found and not g.needs_model


@pytest.mark.timeout(180)
def test_the_shipped_tools_click_the_submit_button_of_a_real_tk_window(tk_screen, shipped_seg):
    img, boxes = tk_screen
    r = shipped_seg.locate_point(img, "the Submit button")
    assert r.ok and r.stage == "words" and r.words_matched == "Submit" and _inside(r.xy_px, boxes["submit"])
    r = shipped_seg.locate_point(img, "the Delete button")
    assert not r.ok and r.error.kind == "not_found"


_CACHE: dict[str, Perceiver] = {}


def _perceivers(name: str) -> Perceiver:
    if name not in _CACHE:
        _CACHE[name] = Perceiver(name)
    return _CACHE[name]
