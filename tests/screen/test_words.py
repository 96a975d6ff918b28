"""Reading the screen's words (Tesseract) and letting them pick among snapping's candidates.

The engine is the real ``tesseract`` program on screens drawn here with a real font. Without it these
tests are skipped, unless SIMPLESEG_REQUIRE_OCR=1 (CI), where they fail instead. The choice logic runs on
a named fake scorer (it is not about the model).
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from simpleseg_agent.backends.base import ModelPreset
from simpleseg_agent.errors import MissingDependencyError, ModelError
from simpleseg_agent.screen.elements import SnapCandidate
from simpleseg_agent.grammar import CoordSpace
from simpleseg_agent.testing.fakes import FakeScoringBackend
from simpleseg_agent.screen import words as reading
from simpleseg_agent.screen.words import ScreenReader, ScreenWord, ocr_image, parse_tsv, read_screen, text_match
from simpleseg_agent.tools import Decoding, SimpleSeg

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# (label, xyxy px) of the buttons on a 480 x 200 screen
BUTTONS = (("Save", (40, 120, 160, 160)), ("Cancel", (180, 120, 300, 160)), ("Send", (320, 120, 440, 160)))


@pytest.fixture(scope="module")
def ocr() -> None:
    if reading.tesseract_path() is None:
        if os.environ.get("SIMPLESEG_REQUIRE_OCR"):
            pytest.fail("SIMPLESEG_REQUIRE_OCR is set but tesseract is not installed (apt-get install tesseract-ocr)")
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")


def _screen(theme: str = "light", primary: str | None = None) -> Image.Image:
    """A dialog with three buttons and a title; ``primary``: that button white on green."""
    bg, fill, ink = ((250, 250, 250), (225, 225, 225), (20, 20, 20)) if theme == "light" else ((35, 35, 35), (70, 70, 70), (235, 235, 235))
    img = Image.new("RGB", (480, 200), bg)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 20)
    d.text((40, 30), "Share document", fill=ink, font=font)
    for label, (x0, y0, x1, y1) in BUTTONS:
        colour, text = ((90, 170, 40), (255, 255, 255)) if label == primary else (fill, ink)
        d.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), radius=8, fill=colour)
        w = d.textlength(label, font=font)
        d.text(((x0 + x1 - w) / 2, y0 + 8), label, fill=text, font=font)
    return img


def _inside(word: ScreenWord, box) -> bool:
    cx, cy = (word.xyxy_px[0] + word.xyxy_px[2]) / 2, (word.xyxy_px[1] + word.xyxy_px[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.parametrize("theme,primary", [("light", None), ("dark", None), ("light", "Send")])
def test_the_engine_reads_every_label_where_it_is_drawn(ocr, theme: str, primary: str | None) -> None:
    """Dark on light, light on dark, white on a coloured button: every label is read, in its button."""
    words = read_screen(_screen(theme, primary))
    for label, box in BUTTONS:
        assert [w.text for w in words if _inside(w, box)] == [label], (theme, label, words)
    assert any(w.text == "document" for w in words)


def test_the_engine_sees_dark_strokes_on_white_whatever_the_theme() -> None:
    light, dark = np.asarray(ocr_image(_screen("light"))), np.asarray(ocr_image(_screen("dark")))
    assert light.shape == dark.shape == (400, 960)  # twice the size
    for img in (light, dark):
        assert np.median(img) > 240  # background white
        x0, y0, x1, y1 = (2 * v for v in BUTTONS[0][1])
        assert img[y0:y1, x0:x1].min() < 100  # the label's strokes are dark
    with pytest.raises(Exception, match="image"):
        ocr_image(np.zeros((4, 4, 2), np.uint8))


def test_tesseract_tsv_rows_become_words_in_screen_pixels() -> None:
    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t960\t400\t-1\t",  # the page: not a word
        "5\t1\t1\t1\t1\t1\t80\t240\t60\t30\t95.5\tSave",
        "5\t1\t2\t1\t1\t1\t10\t10\t4\t4\t0\t~",  # no confidence: noise
        "5\t1\t3\t1\t1\t1\t10\t10\t4\t4\t50\t   ",  # no text
        "5\t1\t4\t1\t1\tx\tbad\t10\t4\t4\t50\tbroken",  # malformed numbers
        "truncated\trow",
    ]
    assert parse_tsv("\n".join([head, *rows]), scale=2) == [ScreenWord((40.0, 120.0, 70.0, 135.0), "Save", 0)]
    assert parse_tsv("") == []
    # words of one engine line share its number; the next line gets the next one
    lines = ["5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90\tLog", "5\t1\t1\t1\t1\t2\t12\t0\t6\t10\t90\tin",
             "5\t1\t2\t1\t1\t1\t0\t40\t20\t10\t90\tHelp"]
    assert [(w.text, w.line) for w in parse_tsv("\n".join([head, *lines]))] == [("Log", 0), ("in", 0), ("Help", 1)]


def test_a_candidate_matches_by_its_own_words_and_a_container_hardly() -> None:
    words = [ScreenWord((60, 130, 100, 150), "Save"), ScreenWord((200, 130, 260, 150), "Cancel"),
             ScreenWord((340, 130, 380, 150), "Send"), ScreenWord((40, 30, 100, 50), "Share"),
             ScreenWord((110, 30, 200, 50), "document")]
    cands = [SnapCandidate(box, 0.0) for _, box in BUTTONS] + [SnapCandidate((0, 0, 480, 200), 0.0)]
    save, cancel, send, window = text_match("the Save button", cands, words)
    assert save == 1.0 and window == pytest.approx(1 / 5)
    # a button whose own word is not named takes half of its neighbour's: Cancel is beside Save, Send is not
    assert cancel == reading.NEIGHBOUR_SHARE and send == 0.0
    # case, punctuation and one misread letter are forgiven; a different word is not
    assert text_match("the button labeled \"cancel\"", cands, words)[1] == 1.0
    assert text_match("the Cancel button", cands, [ScreenWord((200, 130, 260, 150), "Cance1")])[1] == 1.0
    assert text_match("the Cancel button", cands, [ScreenWord((200, 130, 260, 150), "Close")])[1] == 0.0
    # a query naming no word on the screen favours nothing
    assert text_match("the close icon", cands, words) == [0.0, 0.0, 0.0, 0.0]


def test_a_control_without_words_takes_its_labels() -> None:
    """A switch and a checkbox carry no words: the label beside (left or right, its whole line) or above
    counts; one far away does not; the label itself still matches fully."""
    words = [ScreenWord((20, 20, 70, 36), "Wi-Fi"), ScreenWord((20, 60, 110, 76), "Bluetooth"),
             ScreenWord((60, 150, 130, 166), "Remember"), ScreenWord((136, 150, 160, 166), "me")]
    switch_wifi, switch_bt = SnapCandidate((90, 18, 130, 38), 0.0), SnapCandidate((130, 58, 170, 78), 0.0)
    checkbox, far = SnapCandidate((36, 150, 52, 166), 0.0), SnapCandidate((400, 18, 440, 38), 0.0)
    label = SnapCandidate((18, 18, 72, 38), 0.0)
    # a query naming a control without words: its label counts in full for it
    got = text_match("the Wi-Fi switch", [switch_wifi, switch_bt, far, label], words)
    assert got == [1.0, 0.0, 0.0, 1.0]
    assert text_match("the Remember me checkbox", [checkbox, switch_wifi], words) == [1.0, 0.0]  # the whole line
    # any other query: NEIGHBOUR_SHARE of it
    assert text_match("the Wi-Fi button", [switch_wifi, label], words) == [reading.NEIGHBOUR_SHARE, 1.0]


def test_glue_words_alone_match_nothing() -> None:
    """A word like "the" (read off a glyph, or a label of its own) matches no query by itself; beside a
    named word ("Sign in") a glue word still counts."""
    words = [ScreenWord((310, 10, 340, 26), "the"), ScreenWord((60, 10, 95, 26), "Sign"),
             ScreenWord((100, 10, 115, 26), "in")]
    stray, sign_in = SnapCandidate((305, 5, 345, 30), 0.0), SnapCandidate((55, 5, 120, 30), 0.0)
    assert text_match("the label", [stray, sign_in], words) == [0.0, 0.0]
    assert text_match("the Sign in button", [stray, sign_in], words) == [0.0, 1.0]
    assert text_match("the link The", [stray], words) == [0.0]


def test_a_checkbox_takes_the_label_on_its_row_not_the_one_above() -> None:
    """In a stack of checkboxes each label sits on its checkbox's row; the checkbox below a label is
    not that label's, whereas a field still takes the label above it."""
    words = [ScreenWord((70, 152, 117, 172), "Keep"), ScreenWord((122, 152, 140, 172), "me"),
             ScreenWord((160, 152, 224, 172), "signed"), ScreenWord((230, 152, 245, 172), "in"),
             ScreenWord((70, 199, 160, 219), "Remember"), ScreenWord((40, 260, 100, 276), "Email")]
    upper, lower = SnapCandidate((32, 148, 58, 172), 0.0), SnapCandidate((32, 196, 58, 220), 0.0)
    field = SnapCandidate((40, 282, 300, 318), 0.0)
    assert text_match("the Keep me signed in checkbox", [upper, lower], words) == [1.0, 0.0]
    assert text_match("the Remember checkbox", [upper, lower], words) == [0.0, 1.0]
    assert text_match("the Keep me signed in toggle", [upper, lower], words) == [1.0, 0.0]
    # a field's label is above it: it still counts (at NEIGHBOUR_SHARE, a field not being a wordless control)
    assert text_match("the Email field", [field, lower], words) == [reading.NEIGHBOUR_SHARE, 0.0]


def _fake_program(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fake-tesseract"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


@pytest.mark.timeout(60)
def test_a_missing_broken_or_stuck_engine_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    img = _screen()
    monkeypatch.setattr(reading, "TESSERACT", str(tmp_path / "no-such-program"))
    with pytest.raises(MissingDependencyError, match="apt install tesseract-ocr"):
        read_screen(img)
    monkeypatch.setattr(reading, "TESSERACT", _fake_program(tmp_path, "echo 'cannot read' >&2; exit 3"))
    with pytest.raises(ModelError, match="exit 3.*cannot read"):
        read_screen(img)
    monkeypatch.setattr(reading, "TESSERACT", _fake_program(tmp_path, "sleep 20"))
    with pytest.raises(ModelError, match="did not finish"):
        read_screen(img, timeout_s=0.5)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_the_reader_reads_a_screen_once(ocr, monkeypatch) -> None:
    calls: list[tuple] = []
    real = reading.read_screen

    def counting(image, **kw):
        calls.append(image.size)
        return real(image, **kw)

    monkeypatch.setattr(reading, "read_screen", counting)
    reader = ScreenReader(cache_size=1)
    try:
        a, b = _screen("light"), _screen("dark")
        first = reader.words(a)
        assert reader.words(a.copy()) == first and len(calls) == 1  # the same pixels: read once
        assert reader.words(b) != [] and len(calls) == 2
        reader.words(a)  # pushed out by b (cache_size 1): read again
        assert len(calls) == 3
    finally:
        reader.close()


CHOOSER = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
CHOOSER_DECODING = Decoding(snap=True, reach=100.0, overlap_weight=0.0, read_weight=5.0)


def _prefer(box, by: float):
    """A named fake scorer: candidates centred in ``box`` (px on the 480 x 200 screen) score ``by`` nats
    above all others."""
    def scorer(req):
        out = []
        for c in req.continuations:
            nums = [float(v) for v in c.replace("[", " ").replace("]", " ").replace(",", " ").rstrip(".").split()]
            xs, ys = nums[0::2], nums[1::2]
            cx, cy = (min(xs) + max(xs)) / 2 * 480 / 1000, (min(ys) + max(ys)) / 2 * 200 / 1000
            out.append(by if box[0] < cx < box[2] and box[1] < cy < box[3] else 0.0)
        return out
    return scorer


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_words_pick_the_button_the_model_cannot_read(ocr) -> None:
    """The scorer prefers Cancel by 2 nats (a model that cannot read): without reading "the Save button"
    lands on Cancel; with it on Save, and a query whose words are on no button leaves the model's choice."""
    img = _screen()
    fake = FakeScoringBackend([], scorer=_prefer(BUTTONS[1][1], 2.0), preset=CHOOSER)
    seg = SimpleSeg(fake, decoding=CHOOSER_DECODING)
    assert seg.decoding.choose_only and seg.decoding.read_text and seg.decoding.read_weight == 5.0
    save = seg.segment(img, "the Save button")
    assert _inside(ScreenWord(save.xyxy_px, ""), BUTTONS[0][1])
    assert save.read_words == "Save" and "it reads 'Save'" in save.summary()  # what the agent clicks, in words
    assert _inside(ScreenWord(seg.segment(img, "the Send button").xyxy_px, ""), BUTTONS[2][1])
    assert _inside(ScreenWord(seg.segment(img, "the grey button").xyxy_px, ""), BUTTONS[1][1])
    box = seg.locate_box(img, "the Save button")
    assert box.ok and _inside(ScreenWord(box.xyxy_px, ""), BUTTONS[0][1]) and box.read_words == "Save"
    seg.close()
    blind = SimpleSeg(FakeScoringBackend([], scorer=_prefer(BUTTONS[1][1], 2.0), preset=CHOOSER), decoding=replace(CHOOSER_DECODING, read_text=False))
    assert not blind.decoding.read_text
    unread = blind.segment(img, "the Save button")
    assert _inside(ScreenWord(unread.xyxy_px, ""), BUTTONS[1][1]) and unread.read_words is None
    # a model sure enough of itself (20 nats) outweighs the words (5 nats)
    sure = SimpleSeg(FakeScoringBackend([], scorer=_prefer(BUTTONS[1][1], 20.0), preset=CHOOSER), decoding=CHOOSER_DECODING)
    assert _inside(ScreenWord(sure.segment(img, "the Save button").xyxy_px, ""), BUTTONS[1][1])


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_reading_is_asked_for_only_where_it_can_work(ocr, monkeypatch) -> None:
    plain = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
    plain_decoding = Decoding(snap=True, reach=100.0, overlap_weight=0.0)
    scorer = _prefer(BUTTONS[1][1], 2.0)
    assert not SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=plain), decoding=plain_decoding).decoding.read_text  # the preset has no weight
    asked = SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=plain), decoding=replace(plain_decoding, read_text=True))
    assert asked.decoding.read_text and asked.decoding.read_weight == reading.DEFAULT_READ_WEIGHT
    assert _inside(ScreenWord(asked.segment(_screen(), "the Save button").xyxy_px, ""), BUTTONS[0][1])
    with pytest.raises(ModelError, match="snap=True"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=CHOOSER), decoding=replace(CHOOSER_DECODING, snap=False, read_text=True))
    assert not SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=CHOOSER), decoding=replace(CHOOSER_DECODING, snap=False)).decoding.read_text
    with pytest.raises(ModelError, match="read_text must be"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=CHOOSER), decoding=replace(CHOOSER_DECODING, read_text="yes"))
    # without the engine: asked for, a clear error; by default, a warning and the model's choice alone
    monkeypatch.setattr(reading, "TESSERACT", "no-such-tesseract")
    with pytest.raises(MissingDependencyError, match="tesseract-ocr"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=CHOOSER), decoding=replace(CHOOSER_DECODING, read_text=True))
    from simpleseg_agent.tools import decoding

    monkeypatch.setattr(decoding, "_WARNED_NO_TESSERACT", False)
    with pytest.warns(UserWarning, match="tesseract-ocr"):
        seg = SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=CHOOSER), decoding=CHOOSER_DECODING)
    assert not seg.decoding.read_text
    assert _inside(ScreenWord(seg.segment(_screen(), "the Save button").xyxy_px, ""), BUTTONS[1][1])


@pytest.mark.timeout(120)
def test_a_failed_reading_leaves_the_choice_to_the_model(ocr, monkeypatch) -> None:
    fake = FakeScoringBackend([], scorer=_prefer(BUTTONS[1][1], 2.0), preset=CHOOSER)
    seg = SimpleSeg(fake, decoding=CHOOSER_DECODING)

    def broken(image, **kw):
        raise ModelError("tesseract failed (exit 1)")

    monkeypatch.setattr(reading, "read_screen", broken)
    with pytest.warns(UserWarning, match="reading the screen failed"):
        r = seg.segment(_screen("dark"), "the Save button")
    assert r.ok and r.snapped == "model" and _inside(ScreenWord(r.xyxy_px, ""), BUTTONS[1][1])
    assert r.read_words is None

    def crashed(image, **kw):  # not one of ours: still only a warning
        raise RuntimeError("the engine crashed")

    monkeypatch.setattr(reading, "read_screen", crashed)
    with pytest.warns(UserWarning, match="the engine crashed"):
        r = seg.segment(_screen("light"), "the Save button")
    assert r.ok and _inside(ScreenWord(r.xyxy_px, ""), BUTTONS[1][1])
