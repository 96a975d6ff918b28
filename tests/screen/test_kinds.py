"""The kinds of element a screen's pixels show, and the query's kind helping snapping choose."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from simpleseg_agent.backends.base import ModelPreset, ScoreRequest
from simpleseg_agent.errors import ModelError
from simpleseg_agent.screen.elements import SnapCandidate, element_boxes
from simpleseg_agent.grammar import CoordSpace, parse_answer
from simpleseg_agent.testing.fakes import FakeScoringBackend
from simpleseg_agent.screen.kinds import DEFAULT_KIND_WEIGHT, kind_match, query_kinds, shape_kinds
from simpleseg_agent.tools import Decoding, SimpleSeg

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _nearest(boxes: np.ndarray, want) -> tuple[float, ...]:
    best = min(boxes.tolist(), key=lambda b: sum(abs(u - v) for u, v in zip(b, want)))
    assert sum(abs(u - v) for u, v in zip(best, want)) < 6, (best, want)
    return tuple(best)


def _form() -> tuple[Image.Image, dict[str, tuple[int, int, int, int]]]:
    """A form of one of each: a switch (on, its knob drawn), a checked and an empty checkbox, a dropdown with
    its chevron, a field with a placeholder, an empty field, a button, a link and a label. Returns the screen
    and each element's box (x0, y0, x1, y1 as drawn, end inclusive)."""
    img = Image.new("RGB", (520, 300), (248, 248, 248))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 16)
    boxes = {
        "switch": (20, 20, 63, 43), "checked": (100, 22, 119, 41), "checkbox": (140, 22, 159, 41),
        "dropdown": (20, 70, 239, 109), "field": (260, 70, 479, 109), "empty field": (260, 130, 479, 169),
        "button": (20, 130, 139, 169),
    }
    d.rounded_rectangle(boxes["switch"], 12, fill=(40, 120, 220))
    d.ellipse((43, 23, 60, 40), fill=(255, 255, 255))
    d.rounded_rectangle(boxes["checked"], 3, fill=(40, 120, 220))
    d.line([(104, 32), (108, 37), (116, 26)], fill=(255, 255, 255), width=3)
    d.rounded_rectangle(boxes["checkbox"], 3, fill=(255, 255, 255), outline=(140, 140, 140), width=1)
    for key in ("dropdown", "field", "empty field"):
        d.rounded_rectangle(boxes[key], 5, fill=(255, 255, 255), outline=(140, 140, 140), width=1)
    d.text((32, 90), "Germany", fill=(30, 30, 30), font=font, anchor="lm")
    c, g = (239 - 20, 90), 40 * 0.14
    d.line([(c[0] - g, c[1] - g / 2), (c[0], c[1] + g / 2), (c[0] + g, c[1] - g / 2)], fill=(30, 30, 30), width=2)
    d.text((272, 90), "Email address", fill=(150, 150, 150), font=font, anchor="lm")
    d.rounded_rectangle(boxes["button"], 6, fill=(40, 120, 220))
    d.text((80, 150), "Save", fill=(255, 255, 255), font=font, anchor="mm")
    d.text((20, 200), "Forgot password?", fill=(20, 60, 200), font=font)
    x0, y0, x1, y1 = d.textbbox((20, 200), "Forgot password?", font=font)
    d.line([(x0, y1 + 1), (x1, y1 + 1)], fill=(20, 60, 200), width=1)
    boxes["link"] = (x0, y0, x1, y1 + 1)
    d.text((260, 200), "Notifications", fill=(30, 30, 30), font=font)
    boxes["label"] = d.textbbox((260, 200), "Notifications", font=font)
    return img, boxes


@pytest.mark.parametrize("name, want", [
    ("switch", {"switch"}), ("checked", {"checkbox", "maximize"}), ("checkbox", {"checkbox", "maximize"}),
    ("dropdown", {"dropdown"}),
    ("field", {"field"}), ("empty field", {"field"}), ("button", set()), ("link", {"link"}), ("label", set()),
])
def test_a_drawn_form_shows_each_kind_by_its_pixels(name: str, want: set[str]) -> None:
    img, boxes = _form()
    rgb = np.asarray(img)
    x0, y0, x1, y1 = boxes[name]
    shape = _nearest(element_boxes(rgb), (x0 - 0.5, y0 - 0.5, x1 + 1.5, y1 + 1.5))
    assert set(shape_kinds(shape, rgb)) == want


@pytest.mark.slow
def test_generated_screens_show_their_kinds_and_few_others() -> None:
    """On generated screens (seed 11, not used to choose the rules): the element box of nearly every switch,
    checkbox, dropdown, field and link shows its kind, and no button or label shows one of them; every
    maximize control's glyph shows a square, and no close or minimize glyph does."""
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    kind_of = {"toggle": "switch", "checkbox": "checkbox", "dropdown": "dropdown", "text_field": "field", "link": "link"}
    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="easy"))
    shown: dict[str, list[bool]] = {k: [] for k in kind_of}
    wrong: list[tuple[str, frozenset[str]]] = []
    controls: dict[str, list[bool]] = {"maximize": [], "close": [], "minimize": []}
    for i in range(40):
        image, records = gen.screen(i, seed=11)
        rgb = np.asarray(image)
        boxes = element_boxes(rgb).tolist()
        for rec in records:
            x0, y0, x1, y1 = rec.meta["box_px"]
            want = (x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5)
            name = rec.meta.get("name")
            if rec.label == "icon_button" and name in controls:  # the glyph: the smallest shape centred on it
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                glyphs = [b for b in boxes if abs((b[0] + b[2]) / 2 - cx) < 2.5 and abs((b[1] + b[3]) / 2 - cy) < 6
                          and b[2] - b[0] < x1 - x0]
                if glyphs:
                    controls[name].append("maximize" in shape_kinds(min(glyphs, key=lambda b: b[2] - b[0]), rgb))
                continue
            if rec.label == "link":  # a link's box is its ink box padded: take the line of text inside it
                inside = [b for b in boxes if b[0] >= x0 - 1 and b[2] <= x1 + 1 and b[1] >= y0 - 1 and b[3] <= y1 + 1]
                shape = max(inside, key=lambda b: b[2] - b[0], default=None)
            else:
                shape = min(boxes, key=lambda b: sum(abs(u - v) for u, v in zip(b, want)))
                if sum(abs(u - v) for u, v in zip(shape, want)) > 6:
                    shape = None
            if shape is None:
                continue
            kinds = shape_kinds(shape, rgb)
            if rec.label in kind_of:
                shown[rec.label].append(kind_of[rec.label] in kinds)
            elif rec.label in ("button", "text") and kinds:
                wrong.append((rec.label, kinds))
    for label, got in shown.items():
        assert len(got) >= 5, (label, len(got))
        assert np.mean(got) >= 0.9, (label, np.mean(got), len(got))
    assert not wrong, wrong
    assert len(controls["maximize"]) >= 5 and all(controls["maximize"]), controls["maximize"]
    assert len(controls["close"]) >= 20 and not any(controls["close"] + controls["minimize"]), controls


def test_the_query_names_kinds_and_only_boxes_as_drawn_show_a_boxed_one() -> None:
    assert query_kinds("the Dark mode toggle") == {"switch"} and query_kinds("the City text field") == {"field"}
    assert query_kinds("the link Learn more") == {"link"} and query_kinds("the Country dropdown") == {"dropdown"}
    assert query_kinds("the close icon") == frozenset() and query_kinds("") == frozenset()
    img, boxes = _form()
    rgb = np.asarray(img)
    x0, y0, x1, y1 = boxes["switch"]
    shape = _nearest(element_boxes(rgb), (x0 - 0.5, y0 - 0.5, x1 + 1.5, y1 + 1.5))
    drawn, grown = SnapCandidate(shape, 0.0, shape, 0.0), SnapCandidate(shape, 0.0, shape, 0.15)
    bare = SnapCandidate(shape, 0.0)
    assert kind_match("the switch", [drawn, grown, bare], rgb) == [1.0, 0.0, 0.0]
    assert kind_match("the checkbox", [drawn, grown, bare], rgb) == [0.0, 0.0, 0.0]
    assert kind_match("the Save button", [drawn], rgb) == [0.0]  # no kind named: nothing to match
    lx0, ly0, lx1, ly1 = boxes["link"]
    line = _nearest(element_boxes(rgb), (lx0 - 0.5, ly0 - 0.5, lx1 + 0.5, ly1 + 0.5))
    assert kind_match("the link", [SnapCandidate(line, 0.0, line, 0.3)], rgb) == [1.0]  # a link at any grow
    cx0, cy0, cx1, cy1 = boxes["checkbox"]
    square = _nearest(element_boxes(rgb), (cx0 - 0.5, cy0 - 0.5, cx1 + 1.5, cy1 + 1.5))
    grown_square = SnapCandidate(square, 0.0, square, 0.3)
    assert kind_match("the maximize button", [grown_square], rgb) == [1.0]  # a maximize control past its glyph
    assert kind_match("the checkbox", [grown_square], rgb) == [0.0]


def _prefer(want_px, wh):
    """A named fake scorer: the candidate nearest ``want_px`` scores highest, 0.005 nats less per px of
    distance (the switch sits about 4.5 nats below the label)."""
    def scorer(req: ScoreRequest) -> list[float]:
        out = []
        for c in req.continuations:
            xs, ys = parse_answer(c, space="1000").polygons_xy_norm[0].T
            box = (xs.min() * wh[0], ys.min() * wh[1], xs.max() * wh[0], ys.max() * wh[1])
            out.append(-0.005 * sum(abs(u - v) for u, v in zip(box, want_px)))
        return out
    return scorer


KIND_CHOOSER = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
KIND_CHOOSER_DECODING = Decoding(snap=True, reach=100.0, overlap_weight=0.0, kind_weight=7.0)


def test_the_query_s_kind_turns_a_choice_from_the_label_to_the_switch() -> None:
    """A scorer that prefers the label "Notifications" (a model whose sense of kinds is weak): asked for "the
    switch", the kind's 7 nats take the pill; without kinds, or asked for "the label", the label stays."""
    img, boxes = _form()
    label = tuple(float(v) for v in boxes["label"])
    seg = SimpleSeg(FakeScoringBackend([], scorer=_prefer(label, img.size), preset=KIND_CHOOSER), decoding=KIND_CHOOSER_DECODING)
    plain = SimpleSeg(FakeScoringBackend([], scorer=_prefer(label, img.size), preset=KIND_CHOOSER), decoding=replace(KIND_CHOOSER_DECODING, kinds=False))
    assert seg.decoding.kind_weight == 7.0 and plain.decoding.kind_weight == 0.0
    r, p, q = seg.segment(img, "the switch"), plain.segment(img, "the switch"), seg.segment(img, "the label")
    assert r.ok and p.ok and q.ok
    sx0, sy0, sx1, sy1 = boxes["switch"]
    assert sx0 <= r.click.xy_px[0] <= sx1 and sy0 <= r.click.xy_px[1] <= sy1
    for other in (p, q):
        assert other.click.xy_px[0] > 250 and other.click.xy_px[1] > 190  # on the label


def test_the_kind_weight_is_the_presets_unless_asked() -> None:
    img, boxes = _form()
    scorer = _prefer((0, 0, 10, 10), img.size)
    plain = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
    plain_decoding = Decoding(snap=True, reach=100.0, overlap_weight=0.0)
    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=plain), decoding=plain_decoding).decoding.kind_weight == 0.0
    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=plain), decoding=replace(plain_decoding, kinds=True)).decoding.kind_weight == DEFAULT_KIND_WEIGHT
    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=KIND_CHOOSER), decoding=replace(KIND_CHOOSER_DECODING, snap=False)).decoding.kind_weight == 0.0
    with pytest.raises(ModelError, match="snap=True"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=KIND_CHOOSER), decoding=replace(KIND_CHOOSER_DECODING, snap=False, kinds=True))
    with pytest.raises(ModelError, match="kinds must be"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=KIND_CHOOSER), decoding=replace(KIND_CHOOSER_DECODING, kinds="on"))
    for bad in (-1.0, float("nan"), True):
        with pytest.raises(ModelError, match="kind_weight"):
            Decoding(kind_weight=bad)


def _toolbar_with(words: str | None) -> tuple[Image.Image, dict[str, tuple[int, int, int, int]]]:
    """A toolbar of four icon buttons (plus, gear, star, hamburger: this test's own drawings), and, when
    ``words``, a text button showing them. Returns the screen and each button's box (end inclusive)."""
    img = Image.new("RGB", (420, 70), (246, 246, 246))
    d = ImageDraw.Draw(img)
    ink, fill = (50, 55, 60), (222, 228, 238)
    boxes = {}
    for i, name in enumerate(("plus", "gear", "star", "menu")):
        x0 = 12 + 52 * i
        boxes[name] = (x0, 13, x0 + 43, 56)
        d.rounded_rectangle(boxes[name], 8, fill=fill)
        cx, cy = x0 + 21.5, 34.5
        if name == "plus":
            d.rectangle((cx - 10, cy - 2, cx + 10, cy + 2), fill=ink)
            d.rectangle((cx - 2, cy - 10, cx + 2, cy + 10), fill=ink)
        elif name == "gear":
            d.polygon([(cx + (11 if k % 2 == 0 else 8) * np.cos(k * np.pi / 6), cy + (11 if k % 2 == 0 else 8) * np.sin(k * np.pi / 6))
                       for k in range(12)], fill=ink)
            d.ellipse((cx - 3.5, cy - 3.5, cx + 3.5, cy + 3.5), fill=fill)
        elif name == "star":
            d.polygon([(cx + (11 if k % 2 == 0 else 4.6) * np.cos(-np.pi / 2 + k * np.pi / 5),
                        cy + (11 if k % 2 == 0 else 4.6) * np.sin(-np.pi / 2 + k * np.pi / 5)) for k in range(10)], fill=ink)
        else:
            for dy in (-8, 0, 8):
                d.rectangle((cx - 10, cy + dy - 2, cx + 10, cy + dy + 2), fill=ink)
    if words:
        boxes["text"] = (240, 13, 400, 56)
        d.rounded_rectangle(boxes["text"], 8, fill=fill)
        d.text((320, 34), words, fill=ink, font=ImageFont.truetype(FONT, 20), anchor="mm")
    return img, boxes


def test_an_icon_query_names_its_glyph_unless_words_say_otherwise() -> None:
    img, boxes = _toolbar_with(None)
    rgb = np.asarray(img)
    shapes = {name: _nearest(element_boxes(rgb), (x0 - 0.5, y0 - 0.5, x1 + 1.5, y1 + 1.5)) for name, (x0, y0, x1, y1) in boxes.items()}
    cands = [SnapCandidate(shapes[n], 0.0, shapes[n], grow) for n in ("plus", "gear", "star", "menu") for grow in (0.0, 0.3)]
    assert query_kinds("the add button") == {"plus"} and query_kinds("the hamburger icon") == {"menu"}
    assert query_kinds("the settings button", glyphs=False) == frozenset()
    assert kind_match("the add button", cands, rgb) == [1.0, 1.0] + [0.0] * 6  # an icon at any grow
    assert kind_match("the settings button", cands, rgb) == [0.0, 0.0, 1.0, 1.0] + [0.0] * 4
    assert kind_match("the favorite button", cands, rgb) == [0.0] * 4 + [1.0, 1.0, 0.0, 0.0]
    assert kind_match("the menu button", cands, rgb) == [0.0] * 6 + [1.0, 1.0]
    assert kind_match("the add button", cands, rgb, glyphs=False) == [0.0] * 8
    assert kind_match("the trash icon", cands, rgb) == [0.0] * 8  # named, not shown


def test_the_glyph_turns_an_icon_choice_but_not_where_the_screen_shows_the_words() -> None:
    """A scorer that prefers the star button (a model that does not tell glyphs apart): asked for "the
    settings button" on a toolbar of icons, the gear's glyph takes the click; with a "Settings" button on the
    screen, its words decide (the read weight) and the glyph does not count: with it, the gear's 7 nats and
    the scorer's preference would outweigh the words."""
    img, boxes = _toolbar_with(None)
    star = tuple(float(v) for v in boxes["star"])
    seg = SimpleSeg(FakeScoringBackend([], scorer=_prefer(star, img.size), preset=KIND_CHOOSER), decoding=replace(KIND_CHOOSER_DECODING, read_text=False))
    plain = SimpleSeg(FakeScoringBackend([], scorer=_prefer(star, img.size), preset=KIND_CHOOSER), decoding=replace(KIND_CHOOSER_DECODING, read_text=False, kinds=False))
    for query, want in (("the settings button", "gear"), ("the plus icon", "plus"), ("the hamburger icon", "menu")):
        r, p = seg.segment(img, query), plain.segment(img, query)
        assert r.ok and p.ok
        x0, y0, x1, y1 = boxes[want]
        assert x0 <= r.click.xy_px[0] <= x1 and y0 <= r.click.xy_px[1] <= y1, (query, r.click.xy_px)
        sx0, _, sx1, _ = boxes["star"]
        assert sx0 <= p.click.xy_px[0] <= sx1, (query, p.click.xy_px)  # without kinds, the scorer's star


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_where_the_screen_shows_the_query_s_words_the_glyph_does_not_count() -> None:
    from simpleseg_agent.screen import words as reading

    if reading.tesseract_path() is None:
        if os.environ.get("SIMPLESEG_REQUIRE_OCR"):
            pytest.fail("SIMPLESEG_REQUIRE_OCR is set but tesseract is not installed (apt-get install tesseract-ocr)")
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    img, boxes = _toolbar_with("Settings")
    gear = tuple(float(v) for v in boxes["gear"])
    reader = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
    reader_decoding = Decoding(snap=True, reach=100.0, overlap_weight=0.0, kind_weight=7.0, read_weight=7.0)
    # the scorer prefers the gear by 1-2 nats over the text button: the gear would win with its glyph's 7 nats
    seg = SimpleSeg(FakeScoringBackend([], scorer=_prefer(gear, img.size), preset=reader), decoding=reader_decoding)
    assert seg.decoding.read_text and seg.decoding.kind_weight == 7.0
    r = seg.segment(img, "the Settings button")
    assert r.ok
    x0, y0, x1, y1 = boxes["text"]
    assert x0 <= r.click.xy_px[0] <= x1 and y0 <= r.click.xy_px[1] <= y1, r.click.xy_px
