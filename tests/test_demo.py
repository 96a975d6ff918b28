"""``simpleseg demo`` through the real CLI: a real tiny checkpoint, the PNG, the report, the exit statuses,
and ``--click`` on a private Xvfb where the window itself says which element fired.

The memorized tiny model does not find the button on a generated screen; its tests check the
report's structure and that the exit status agrees with where the click landed, computed here
from the layout's boxes, independently of the window's report. A stand-in served over HTTP (a named
fake that answers a known element's box) drives the click onto the Submit button, and onto another
element, to check both exit statuses end to end.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest
from PIL import Image

from simpleseg_agent import demo as demo_module
from simpleseg_agent.agent.tk_layout import CLICKABLE_KINDS
from simpleseg_agent.cli import main
from simpleseg_agent.grammar import CoordSpace
from simpleseg_agent.fixtures import find_button_screen
from simpleseg_agent.tools import Decoding

pytestmark = pytest.mark.timeout(300)
QUERY = "the submit button"  # the memorized model learned this phrase (on another image)
REPORT_KEYS = {
    "mode", "query", "screen", "target", "model", "preset", "answer", "answer_tokens", "status", "error", "polygons_xy_px",
    "click_xy_px", "on_element", "hit", "iou", "fired", "missed_xy", "intended_fired", "display", "samples", "agreement", "snapped",
    "read_text", "read_words", "stage", "words_matched", "candidates", "out", "seconds", "exit_status",
}


def _element_at(layout, xy):
    """Which clickable element holds the pixel: computed here from the boxes, not by the library."""
    hits = [i for i, el in enumerate(layout.elements)
            if el.kind in CLICKABLE_KINDS and el.box[0] <= xy[0] < el.box[2] and el.box[1] <= xy[1] < el.box[3]]
    assert len(hits) <= 1, "generated elements do not overlap"
    return hits[0] if hits else None


def _require_x() -> None:
    missing = ""
    if shutil.which("Xvfb") is None:
        missing = "Xvfb is not installed (apt-get install xvfb)"
    for module in ("mss", "pyautogui", "Xlib", "tkinter"):
        if not missing and importlib.util.find_spec(module) is None:
            missing = f"{module} is not installed (pip install 'simpleseg-agent[agent]'; tkinter comes with Python)"
    if missing:
        if os.environ.get("SIMPLESEG_REQUIRE_X"):
            pytest.fail(f"SIMPLESEG_REQUIRE_X is set but {missing}")
        pytest.skip(missing)


def _demo_subprocess(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}  # the demo starts its own Xvfb
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "demo", *args], capture_output=True, text=True,
                          timeout=240, env=env, check=False)


# without a display ---------------------------------------------------------------------------------
def test_a_missing_default_model_says_so_and_suggests_model(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(demo_module, "default_model_dir", lambda: tmp_path / "not-there")
    assert main(["demo", "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("simpleseg demo: error: the default model 'simpleseg-gui-small' is not installed")
    assert str(tmp_path / "not-there") in err and "--model" in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("args,message", [
    (["--model", "/nonexistent/checkpoint"], "model folder not found: /nonexistent/checkpoint"),
    (["--model", "/nonexistent/checkpoint", "--out", "demo.jpg"], "ending in .png"),
    (["--model", "/nonexistent/checkpoint", "--button", " "], "non-empty"),
    (["--model", "/nonexistent/checkpoint", "--query", ""], "the query must be a description"),
])
def test_bad_input_exits_2_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", *args]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress lines, one line says why
    assert last.startswith("simpleseg demo: error: ") and message in last


@pytest.mark.slow
def test_demo_on_the_generated_screen_with_a_real_checkpoint(memorized_model_path, tmp_path, capsys):
    out = tmp_path / "demo.png"
    status = main(["demo", "--model", str(memorized_model_path), "--query", QUERY, "--out", str(out), "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert set(report) == REPORT_KEYS
    screen = find_button_screen("Submit")
    assert report["mode"] == "image" and report["display"] is None and report["fired"] is None
    assert report["model"] == str(memorized_model_path)
    assert report["screen"] == {"difficulty": "easy", "seed": screen.seed, "index": 0, "size_wh": list(screen.layout.size_wh)}
    assert report["target"] == {"index": screen.element_index, "kind": "button", "text": "Submit", "xyxy_px": list(screen.element.box)}
    assert report["answer"] and report["answer_tokens"] > 0 and report["seconds"]["model"] > 0
    assert report["status"] in ("planned", "refused")
    if report["click_xy_px"] is None:
        assert report["status"] == "refused" and report["error"] and not report["hit"]
    else:
        expected = _element_at(screen.layout, report["click_xy_px"])
        assert report["hit"] == (expected == screen.element_index)
        assert (report["on_element"] or {}).get("index") == expected
        assert 0.0 <= report["iou"] <= 1.0
    assert status == report["exit_status"] == (0 if report["hit"] else 1)
    assert Image.open(out).size == screen.layout.size_wh and report["out"] == str(out)
    assert "simpleseg demo: screen: easy seed" in captured.err and "loaded in" in captured.err  # progress on stderr

    status = main(["demo", "--model", str(memorized_model_path), "--query", QUERY, "--out", str(out)])
    lines = capsys.readouterr().out.splitlines()
    decided = ["decided"] if report["stage"] is not None else []  # what chose, where something did
    assert [line.split()[0] for line in lines] == ["screen", "model", *decided, "click", "seconds", "overlay"]
    assert status == report["exit_status"]


def _box_answer(box, size_wh) -> str:
    (x0, y0, x1, y1), (W, H) = box, size_wh
    return f"[[[{x0 / W:.3f}, {y0 / H:.3f}], [{x1 / W:.3f}, {y0 / H:.3f}], [{x1 / W:.3f}, {y1 / H:.3f}], [{x0 / W:.3f}, {y1 / H:.3f}]]]"


def test_samples_keep_the_answer_the_sampled_ones_agree_on(tmp_path):
    """A named fake: the greedy answer points at another element, the sampled ones at Submit."""
    from simpleseg_agent.testing.fakes import FakeAnswerBackend

    screen = find_button_screen("Submit")
    other = next(el for i, el in enumerate(screen.layout.elements)
                 if el.kind in CLICKABLE_KINDS and i != screen.element_index)
    right = _box_answer(screen.element.box, screen.layout.size_wh)
    wrong = _box_answer(other.box, screen.layout.size_wh)
    fake = FakeAnswerBackend(lambda request: right if request.temperature > 0 else wrong)
    greedy = demo_module.run_demo(model=fake, out=None, progress=None)
    assert not greedy.hit and greedy.exit_status == 1 and greedy.samples == 0 and greedy.agreement is None
    n = len(fake.requests)
    report = demo_module.run_demo(model=fake, out=str(tmp_path / "d.png"), progress=None,
                                  decoding=Decoding(samples=3, temperature=0.5, seed=11))
    asked = fake.requests[n:]
    assert [r.temperature for r in asked] == [0.0, 0.5, 0.5, 0.5] and [r.seed for r in asked[1:]] == [11, 12, 13]
    assert report.hit and report.exit_status == 0 and report.samples == 3
    assert report.agreement == pytest.approx(2 / 3, abs=0.02)  # the kept box: the same as 2 of the 3 others
    assert report.lines()[2] == "samples  consensus of the greedy answer and 3 sampled ones: agreement 0.67"
    with pytest.raises(demo_module.ModelError, match="samples"):
        demo_module.run_demo(model=fake, out=None, progress=None, decoding=Decoding(samples=-1))


@pytest.mark.slow
def test_a_choice_trained_preset_chooses_without_an_answer_and_the_report_says_so() -> None:
    """A named fake that scores (not a model): the preset of a choice-trained model, a scorer that prefers
    the candidate nearest the Submit button's box. Nothing is generated; the report shows the choice."""
    from simpleseg_agent.backends.base import ModelPreset
    from simpleseg_agent.testing.fakes import FakeScoringBackend

    screen = find_button_screen("Submit")
    w, h = screen.layout.size_wh
    bx0, by0, bx1, by1 = screen.element.box

    def nearest_submit(request):
        def gap(text: str) -> float:
            xs = [float(v) for v in re.findall(r"\d+\.\d+", text)]
            x0, y0, x1, y1 = min(xs[0::2]) * w, min(xs[1::2]) * h, max(xs[0::2]) * w, max(xs[1::2]) * h
            return abs(x0 - bx0) + abs(y0 - by0) + abs(x1 - bx1) + abs(y1 - by1)
        return [-gap(c) for c in request.continuations]

    chooser = ModelPreset("chooser", "x", CoordSpace.NORM)
    chooser_decoding = Decoding(constrained=False, snap=True, reach=100.0, overlap_weight=0.0)
    fake = FakeScoringBackend([], scorer=nearest_submit, preset=chooser)
    report = demo_module.run_demo(model=fake, out=None, progress=None, decoding=chooser_decoding)
    assert fake.requests == [] and len(fake.score_requests) == 1
    assert report.hit and report.exit_status == 0 and report.snapped == "model" and report.answer_tokens == 0
    assert "without an answer of its own" in "\n".join(report.lines())
    assert not report.read_text and "words read" not in "\n".join(report.lines())  # the preset has no read weight
    if shutil.which("tesseract"):  # reading the screen's words (CI has tesseract: tests/screen/test_words.py)
        read = demo_module.run_demo(model=FakeScoringBackend([], scorer=nearest_submit, preset=chooser), out=None,
                                    progress=None, decoding=replace(chooser_decoding, read_text=True))
        assert read.hit and read.read_text and "with the words read on the screen" in "\n".join(read.lines())
        assert read.read_words == "Submit" and "it reads 'Submit'" in "\n".join(read.lines())
    off = demo_module.run_demo(model=FakeScoringBackend(["[[[0.9, 0.9], [0.95, 0.9], [0.95, 0.95]]]"], scorer=nearest_submit, preset=chooser),
                               out=None, progress=None, decoding=replace(chooser_decoding, choose_only=False))
    assert off.answer_tokens > 0 and "without an answer" not in "\n".join(off.lines())


@pytest.mark.slow
def test_samples_on_the_command_line_with_a_real_checkpoint(memorized_model_path, tmp_path, capsys):
    out = tmp_path / "demo.png"
    status = main(["demo", "--model", str(memorized_model_path), "--query", QUERY, "--out", str(out), "--json",
                   "--samples", "2", "--temperature", "0.9", "--seed", "5"])
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 2 and status == report["exit_status"]
    assert report["agreement"] is None or 0.0 <= report["agreement"] <= 1.0
    assert main(["demo", "--model", str(memorized_model_path), "--samples", "1", "--temperature", "0"]) == 2
    assert "temperature" in capsys.readouterr().err.strip().splitlines()[-1]


# on a private Xvfb ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_click_with_a_real_checkpoint_exit_status_matches_what_fired(memorized_model_path, tmp_path):
    _require_x()
    out = _demo_subprocess("--click", "--model", str(memorized_model_path), "--query", QUERY, "--pause-s", "0",
                           "--out", str(tmp_path / "click.png"), "--json")
    assert out.returncode in (0, 1), out.stderr
    report = json.loads(out.stdout)
    screen = find_button_screen("Submit")
    assert report["mode"] == "click" and report["display"].startswith(":")
    assert Image.open(tmp_path / "click.png").size == screen.layout.size_wh  # the screenshot the model saw
    if report["click_xy_px"] is None:  # refused: nothing may have been clicked
        expected = None
        assert report["status"] == "refused" and report["fired"] == [] and report["missed_xy"] == []
    else:
        assert report["status"] == "done"
        expected = _element_at(screen.layout, report["click_xy_px"])
        if expected is None:
            assert report["fired"] == [] and len(report["missed_xy"]) <= 1
        else:
            assert [f["index"] for f in report["fired"]] == [expected]
    assert report["intended_fired"] == (expected == screen.element_index)
    assert out.returncode == (0 if expected == screen.element_index else 1)


def _box_answer(box, size_wh) -> str:
    (x0, y0, x1, y1), (w, h) = box, size_wh
    return f"It is at [[[{x0 / w:.4f}, {y0 / h:.4f}], [{x1 / w:.4f}, {y0 / h:.4f}], [{x1 / w:.4f}, {y1 / h:.4f}], [{x0 / w:.4f}, {y1 / h:.4f}]]]."


@pytest.mark.slow
@pytest.mark.parametrize("aim", ["submit", "other"])
def test_click_through_a_served_stand_in_fires_the_element_it_points_at(aim, tmp_path):
    """A named fake (not a model) answers a known element's box over HTTP: the agent clicks it, the window says so."""
    _require_x()
    from simpleseg_agent.serve import make_server
    from simpleseg_agent.testing.fakes import FakeAnswerBackend

    screen = find_button_screen("Submit")
    layout = screen.layout
    if aim == "submit":
        index = screen.element_index
    else:  # the largest other clickable element: another button, a field, ...
        others = [i for i, el in enumerate(layout.elements) if el.kind in CLICKABLE_KINDS and i != screen.element_index]
        index = max(others, key=lambda i: (layout.elements[i].box[2] - layout.elements[i].box[0]) * (layout.elements[i].box[3] - layout.elements[i].box[1]))
    answer = _box_answer(layout.elements[index].box, layout.size_wh)
    with make_server(FakeAnswerBackend([answer]), model_name="box-stand-in") as server:
        out = _demo_subprocess("--click", "--model", server.url, "--pause-s", "0", "--out", str(tmp_path / "c.png"), "--json")
    assert out.returncode == (0 if aim == "submit" else 1), out.stderr
    report = json.loads(out.stdout)
    assert _element_at(layout, report["click_xy_px"]) == index  # independent of the window's report
    assert [f["index"] for f in report["fired"]] == [index]
    assert report["intended_fired"] is (aim == "submit") and report["hit"] is (aim == "submit")
    if aim == "submit":
        assert report["iou"] > 0.9
