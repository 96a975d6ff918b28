"""The agent says how it decided: the overlay caption and the action record name the stage that chose, the
screen's words it matched and how many candidates; a query naming nothing on the screen is not found, says
why on the overlay, and nothing acts.

The screen is an image with real words drawn in a real font, read by Tesseract (the OCR the default stack
grounds with); the model is a named fake (``FakeAnswerBackend``), asked only where the words do not decide.
"""

from __future__ import annotations

import json
import os

import pytest
from PIL import Image, ImageDraw, ImageFont

from simpleseg_agent import overlay
from simpleseg_agent.agent import AgentActionError, ScreenAgent, StaticScreen
from simpleseg_agent.agent.testing import RecordingPointer
from simpleseg_agent.screen.words import tesseract_path
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import Decoding, SimpleSeg

ANSWER = "It is at [[[0.45, 0.6], [0.55, 0.6], [0.55, 0.66], [0.45, 0.66]]]."


@pytest.fixture
def screen() -> Image.Image:
    if tesseract_path() is None:
        if os.environ.get("SIMPLESEG_REQUIRE_OCR"):
            pytest.fail("SIMPLESEG_REQUIRE_OCR is set but tesseract is not installed")
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    img = Image.new("RGB", (1280, 800), (236, 239, 244))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 15)
    for x, word in ((770, "Cancel"), (950, "Submit")):
        draw.text((x, 622), word, fill=(20, 20, 20), font=font, anchor="mm")
    return img


@pytest.fixture
def captions(monkeypatch) -> list[str]:
    """Every caption the agent hands the drawing function (which still draws)."""
    seen: list[str] = []
    draw = overlay.draw_overlay

    def spy(image, **kwargs):
        seen.append(kwargs.get("label"))
        return draw(image, **kwargs)

    monkeypatch.setattr(overlay, "draw_overlay", spy)
    return seen


def _agent(screen, tmp_path, pointer):
    tool = SimpleSeg(FakeAnswerBackend([ANSWER] * 4), decoding=Decoding(ground=True, ocr_engine="tesseract"))
    return ScreenAgent(tool, screen=StaticScreen(screen), pointer=pointer, pause_s=0.0,
                       overlay_dir=str(tmp_path / "overlays"), log_path=str(tmp_path / "actions.jsonl"))


def test_the_caption_and_the_record_name_the_stage_the_words_and_the_candidates(screen, captions, tmp_path):
    pointer = RecordingPointer()
    agent = _agent(screen, tmp_path, pointer)
    record = agent.click("the Submit button")
    t = record.target
    assert (t.stage, t.words_matched, t.candidates) == ("words", "Submit", 1)
    assert captions == ["click: the Submit button\nstage words; words 'Submit'; 1 candidate"]
    x, y = pointer.calls[0][1]
    assert 920 <= x <= 980 and 612 <= y <= 632  # on the word Submit, not on Cancel (at x 770)
    logged = json.loads((tmp_path / "actions.jsonl").read_text())
    assert {k: logged["targets"][0][k] for k in ("stage", "words_matched", "candidates")} == \
        {"stage": "words", "words_matched": "Submit", "candidates": 1}
    assert logged["error_kind"] is None
    assert Image.open(record.overlay_path).size == (1280, 800)


def test_an_answer_of_the_model_is_captioned_as_such(screen, captions, tmp_path):
    record = _agent(screen, tmp_path, RecordingPointer()).click("the grey square")  # names no words on the screen
    t = record.target
    assert (t.stage, t.words_matched, t.candidates) == ("answer", None, None)
    assert captions == ["click: the grey square\nstage answer"]


def test_a_query_naming_nothing_on_the_screen_is_not_found_and_nothing_acts(screen, captions, tmp_path):
    pointer = RecordingPointer()
    with pytest.raises(AgentActionError) as info:
        _agent(screen, tmp_path, pointer).click("the Help button")
    record = info.value.record
    assert record.status == "refused" and record.error_kind == "not_found" and record.targets == []
    assert "no words on the screen spell 'Help'" in record.error
    assert pointer.calls == []
    assert len(captions) == 1 and captions[0].startswith("not found: the Help button\nno words on the screen spell 'Help'")
    assert json.loads((tmp_path / "actions.jsonl").read_text())["error_kind"] == "not_found"
    assert Image.open(record.overlay_path).size == (1280, 800)  # the picture of why, with nothing outlined


def test_the_caption_leaves_out_what_a_result_does_not_say():
    assert overlay.decision_caption("label", "Name:", 1) == "stage label; words 'Name:'; 1 candidate"
    assert overlay.decision_caption("shortlist", "OK", 2) == "stage shortlist; words 'OK'; 2 candidates"
    assert overlay.decision_caption(None) == "stage none"
