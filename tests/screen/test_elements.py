"""Element boxes from a screen's pixels, snap candidates, and snapping without a model."""

from __future__ import annotations

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError, ImageError
from simpleseg_agent.geometry import Region, region_iou
from simpleseg_agent.geometry.boxes import grown_box
from simpleseg_agent.screen.elements import (
    DEFAULT_GROW,
    DEFAULT_TEXT_GROW,
    SnapCandidate,
    element_boxes,
    is_text_line,
    line_of_words,
    shape_extent,
    snap_candidates,
    snap_region,
    solid_outline,
    text_line_extent,
)
from simpleseg_agent.screen.pixels import edge_map


def _screen(w: int = 200, h: int = 100, bg: int = 250) -> np.ndarray:
    return np.full((h, w, 3), bg, np.uint8)


def _rect(x0: float, y0: float, x1: float, y1: float) -> Region:
    return Region.from_polygons([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])


@pytest.mark.parametrize("step, edges", [(8, 0), (9, 2)])  # threshold 8: a difference of 8 is no edge, 9 is
def test_edge_threshold_is_strict(step: int, edges: int) -> None:
    img = _screen(6, 2, 100)
    img[:, 3:] = 100 + step
    assert int(edge_map(img)[0].sum()) == edges


@pytest.mark.parametrize("image", [np.zeros((5,), np.uint8), np.zeros((1, 1, 3), np.uint8), np.zeros((4, 4, 2), np.uint8)])
def test_images_that_are_not_screens_are_refused(image: np.ndarray) -> None:
    with pytest.raises(ImageError):
        element_boxes(image)


@pytest.mark.parametrize("gaps", [(), (0,), (1.5,), (True,), (-3,)])
def test_bad_grouping_distances_are_refused(gaps) -> None:
    with pytest.raises(GeometryError):
        element_boxes(_screen(), gaps_px=gaps)


def test_a_blank_screen_has_no_elements() -> None:
    assert element_boxes(_screen()).shape == (0, 4)
    assert element_boxes(np.zeros((50, 50), np.uint8)).shape == (0, 4)  # grayscale is read too


def test_filled_and_bordered_boxes_are_found_half_a_pixel_outside() -> None:
    img = _screen()
    img[20:50, 10:90] = 230                      # a filled button, subtle against the background
    img[60:90, 110:190] = 120                    # a bordered field: a 1 px frame, same fill as outside
    img[61:89, 111:189] = 250
    got = {tuple(b) for b in element_boxes(img).tolist()}
    assert (9.5, 19.5, 90.5, 50.5) in got
    assert (109.5, 59.5, 190.5, 90.5) in got


def test_letters_group_into_words_at_larger_gaps() -> None:
    img = _screen()
    for x in (20, 28, 36):                        # three "letters" 3 px apart
        img[40:50, x : x + 5] = 0
    boxes = element_boxes(img).tolist()
    assert [19.5, 39.5, 41.5, 50.5] in boxes      # the word
    assert element_boxes(img, gaps_px=(1,)).shape[0] == 3  # at 1 px, three letters


def test_a_shape_filling_the_screen_is_not_an_element() -> None:
    img = _screen(100, 100)
    img[1:99, 1:99] = 10
    assert element_boxes(img).shape == (0, 4)
    assert element_boxes(img, max_area_frac=1.0).shape == (1, 4)


def test_candidates_are_the_boxes_near_the_answer_as_drawn_and_grown() -> None:
    boxes = np.array([[20.0, 20.0, 60.0, 40.0], [150.0, 80.0, 190.0, 95.0]])
    answer = _rect(0.1, 0.2, 0.3, 0.4)            # px 20-60 x 20-40 on 200 x 100
    cands = snap_candidates(answer, boxes=boxes, resolution_wh=(200, 100), grow=(0.0, 0.5))
    assert [c.xyxy_px for c in cands] == [(20.0, 20.0, 60.0, 40.0), (10.0, 10.0, 70.0, 50.0)]
    assert cands[0].overlap == pytest.approx(1.0)
    assert cands[1].overlap == pytest.approx(800 / 2400)
    far = snap_candidates(answer, boxes=boxes, resolution_wh=(200, 100), reach=10.0)
    assert any(c.xyxy_px[0] >= 150 and c.overlap == 0.0 for c in far)  # within reach, overlapping nothing


def test_grown_candidates_stay_inside_the_image() -> None:
    cands = snap_candidates(_rect(0.0, 0.0, 0.2, 0.2), boxes=np.array([[0.0, 0.0, 30.0, 15.0]]),
                            resolution_wh=(200, 100), grow=(1.0,))
    assert cands == [SnapCandidate((0.0, 0.0, 45.0, 30.0), pytest.approx(cands[0].overlap), (0.0, 0.0, 30.0, 15.0), 1.0)]


@pytest.mark.parametrize("kwargs", [{}, {"boxes": np.zeros((0, 4))}, {"resolution_wh": (10, 10)}])
def test_candidates_need_the_image_or_boxes_with_a_size(kwargs) -> None:
    with pytest.raises(GeometryError):
        snap_candidates(_rect(0.1, 0.1, 0.2, 0.2), **kwargs)


def test_a_busy_image_gives_at_most_max_candidates_the_overlapping_first() -> None:
    boxes = np.array([[x, y, x + 8.0, y + 8.0] for x in range(0, 200, 10) for y in range(0, 100, 10)])  # 200 boxes
    answer = _rect(0.5, 0.5, 0.56, 0.62)          # px 100-112 x 50-62
    every = snap_candidates(answer, boxes=boxes, resolution_wh=(200, 100), grow=(0.0,), reach=10.0, max_candidates=1000)
    few = snap_candidates(answer, boxes=boxes, resolution_wh=(200, 100), grow=(0.0,), reach=10.0, max_candidates=5)
    assert len(every) == 200 and len(few) == 5
    assert {c.xyxy_px for c in few} >= {c.xyxy_px for c in every if c.overlap > 0}
    assert (100.0, 50.0, 108.0, 58.0) in {c.xyxy_px for c in few}
    assert (0.0, 0.0, 8.0, 8.0) not in {c.xyxy_px for c in few}  # the farthest go first


@pytest.mark.parametrize("kwargs", [{"grow": ()}, {"grow": (float("nan"),)}, {"grow": (-0.1,)}, {"reach": float("nan")},
                                    {"reach": -1.0}, {"max_candidates": 0}, {"max_candidates": 2.5}])
def test_bad_candidate_options_are_refused(kwargs) -> None:
    with pytest.raises(GeometryError):
        snap_candidates(_rect(0.1, 0.1, 0.2, 0.2), _screen(), **kwargs)


def test_an_empty_answer_has_no_candidates() -> None:
    assert snap_candidates(Region.empty(), _screen()) == []


def test_an_answer_a_few_pixels_off_snaps_to_the_button() -> None:
    img = _screen()
    img[40:70, 50:150] = 200
    truth = _rect(0.25, 0.4, 0.75, 0.7)
    answer = _rect(0.28, 0.43, 0.78, 0.73)  # 6 px right, 3 px down
    before = region_iou(answer, truth, (200, 100))
    got = snap_region(answer, img)
    assert got.snapped and got.overlap > 0
    assert region_iou(got.region, truth, (200, 100)) > max(0.95, before)


def test_an_answer_near_no_element_stays_as_it_was() -> None:
    img = _screen()
    img[5:15, 5:15] = 0
    answer = _rect(0.6, 0.6, 0.9, 0.9)
    got = snap_region(answer, img)
    assert not got.snapped and got.region is answer and got.overlap == 0.0


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2.0])
def test_min_overlap_must_be_a_fraction(bad: float) -> None:
    with pytest.raises(GeometryError):
        snap_region(_rect(0.1, 0.1, 0.2, 0.2), _screen(), min_overlap=bad)


@pytest.mark.slow
def test_generated_screens_offer_a_box_close_to_every_framed_element() -> None:
    """On the generator's screens, every button, field, dropdown and checkbox is among the candidates
    (as drawn or grown) with IoU >= 0.85 against its annotated outline: the pixels alone find them."""
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="easy"))
    checked = 0
    for i in range(6):
        image, records = gen.screen(i, seed=99)
        rgb = np.asarray(image)
        boxes = element_boxes(rgb)
        for rec in records:
            if rec.label not in ("button", "text_field", "dropdown", "checkbox"):
                continue
            cands = snap_candidates(rec.region, boxes=boxes, resolution_wh=image.size)
            best = max(region_iou(c.region(image.size), rec.region, image.size) for c in cands)
            assert best >= 0.85, (i, rec.label, rec.expressions[0], best)
            checked += 1
    assert checked >= 12


def test_a_thin_mark_is_also_a_candidate_as_the_square_around_it() -> None:
    """A minimize button is a dash on the title bar: its button is square, its pixels a line. The square
    on the dash is a candidate (and the dash itself); a long rule and a thick box get no square."""
    img = _screen()
    img[52:56, 40:58] = 0  # a dash 18 x 4 px, centred on (49, 54): a 27 px button around it
    img[90:92, 10:190] = 120  # a rule 180 px long: not a mark
    img[10:30, 120:150] = 90  # a box 30 x 20 px: not a mark
    boxes = element_boxes(img)
    cands = snap_candidates(_rect(0.0, 0.0, 1.0, 1.0), boxes=boxes, resolution_wh=(200, 100), grow=(0.0, 0.3))
    got = {tuple(round(v) for v in c.xyxy_px) for c in cands}
    dash = next(b for b in boxes.tolist() if b[2] - b[0] < 25)
    side = dash[2] - dash[0]
    cx, cy = (dash[0] + dash[2]) / 2, (dash[1] + dash[3]) / 2
    assert tuple(round(v) for v in dash) in got
    assert tuple(round(v) for v in (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)) in got
    button = _rect(35.5 / 200, 40.5 / 100, 62.5 / 200, 67.5 / 100)  # the 27 px square button
    best = max(region_iou(c.region((200, 100)), button, (200, 100)) for c in cands)
    assert best >= 0.75
    squares = [c.xyxy_px for c in cands if abs((c.xyxy_px[2] - c.xyxy_px[0]) - (c.xyxy_px[3] - c.xyxy_px[1])) < 0.5]
    assert squares and all(c[0] < 70 for c in squares)  # only the dash's: the rule and the box have none
    # off with mark_px 0, and a negative or NaN length is refused
    plain = snap_candidates(_rect(0.0, 0.0, 1.0, 1.0), boxes=boxes, resolution_wh=(200, 100), grow=(0.0, 0.3), mark_px=0)
    assert len(plain) == len(cands) - 2
    for bad in (-1.0, float("nan")):
        with pytest.raises(GeometryError, match="mark_px"):
            snap_candidates(_rect(0.0, 0.0, 1.0, 1.0), boxes=boxes, resolution_wh=(200, 100), mark_px=bad)


@pytest.mark.slow
def test_generated_title_bars_offer_a_square_close_to_every_icon_button() -> None:
    """Minimize, maximize and close, drawn without a fill: each is among the candidates with IoU >= 0.6
    against its annotated square (the minimize dash only through its square)."""
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="easy"))
    seen: dict[str, float] = {}
    for i in range(40):
        image, records = gen.screen(i, seed=2029)
        boxes = element_boxes(np.asarray(image))
        for rec in records:
            name = rec.meta.get("name") if rec.meta else None
            if rec.label != "icon_button" or name not in ("minimize", "maximize", "close"):
                continue
            cands = snap_candidates(rec.region, boxes=boxes, resolution_wh=image.size)
            best = max(region_iou(c.region(image.size), rec.region, image.size) for c in cands)
            seen[name] = min(seen.get(name, 1.0), best)
            if name == "minimize":
                without = snap_candidates(rec.region, boxes=boxes, resolution_wh=image.size, mark_px=0)
                assert max(region_iou(c.region(image.size), rec.region, image.size) for c in without) < 0.5
    assert set(seen) == {"minimize", "maximize", "close"}, seen
    assert min(seen.values()) >= 0.6, seen


# a line of text: its extent settled from the pixels ----------------------------------------------
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _label_and_button() -> tuple[np.ndarray, tuple[int, int, int, int], tuple[int, int, int, int]]:
    """A 320 x 120 screen: the label "Email address" (its ink box) and a filled button "Send" (its box)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (320, 120), (250, 250, 250))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 20)
    d.text((20, 20), "Email address", fill=(30, 30, 30), font=font)
    ink = d.textbbox((20, 20), "Email address", font=font)
    button = (200, 60, 300, 100)
    d.rounded_rectangle((200, 60, 299, 99), radius=6, fill=(60, 120, 200))
    d.text((250, 80), "Send", fill=(255, 255, 255), font=font, anchor="mm")
    return np.asarray(img), ink, button


def _shape_near(boxes: np.ndarray, want) -> tuple[float, float, float, float]:
    """The element box nearest ``want`` (xyxy px)."""
    best = min(boxes.tolist(), key=lambda b: sum(abs(u - v) for u, v in zip(b, want)))
    assert sum(abs(u - v) for u, v in zip(best, want)) < 8, (best, want)
    return tuple(best)


def test_candidates_say_the_shape_and_the_grow_they_were_made_from() -> None:
    img, ink, button = _label_and_button()
    whole = _rect(0, 0, 1, 1)
    cands = snap_candidates(whole, img, reach=0.0)
    assert cands and all(c.shape_xyxy_px is not None for c in cands)
    for c in cands:
        assert c.xyxy_px == pytest.approx(grown_box(c.shape_xyxy_px, c.grow, (320, 120)))
    shape = _shape_near(element_boxes(img), ink)
    assert {c.grow for c in cands if c.shape_xyxy_px == shape} == set(DEFAULT_GROW)


def test_a_word_is_a_line_of_text_and_a_button_or_a_square_is_not() -> None:
    img, ink, button = _label_and_button()
    boxes = element_boxes(img)
    assert is_text_line(_shape_near(boxes, ink), img)
    assert not is_text_line(_shape_near(boxes, (button[0] - 0.5, button[1] - 0.5, button[2] + 0.5, button[3] + 0.5)), img)
    # a pill-shaped button (its ends round: its box's sides touch it at one point) is no line of text
    from PIL import Image, ImageDraw

    pill = Image.new("RGB", (200, 80), (250, 250, 250))
    ImageDraw.Draw(pill).rounded_rectangle((20, 20, 119, 59), radius=20, fill=(60, 120, 200))
    pill_rgb = np.asarray(pill)
    assert not is_text_line(_shape_near(element_boxes(pill_rgb), (19.5, 19.5, 120.5, 60.5)), pill_rgb)
    # an underlined link: an edge all along its bottom, its letters' tops here and there
    link = Image.new("RGB", (240, 60), (250, 250, 250))
    d = ImageDraw.Draw(link)
    from PIL import ImageFont

    d.text((20, 15), "Forgot password?", fill=(20, 60, 200), font=ImageFont.truetype(FONT, 18))
    x0, _, x1, y1 = d.textbbox((20, 15), "Forgot password?", font=ImageFont.truetype(FONT, 18))
    d.line([(x0, y1 + 1), (x1, y1 + 1)], fill=(20, 60, 200), width=1)
    link_rgb = np.asarray(link)
    assert is_text_line(max(element_boxes(link_rgb).tolist(), key=lambda b: b[2] - b[0]), link_rgb)
    square = np.full((60, 60, 3), 250, np.uint8)
    square[20:40, 20:22] = 0  # an icon's stroke, as tall as the glyph is wide: not wide enough for a line
    square[20:22, 20:40] = 0
    assert not is_text_line((19.5, 19.5, 40.5, 40.5), square)


@pytest.mark.parametrize("chosen_grow", DEFAULT_GROW)
def test_a_chosen_line_of_text_gets_its_ink_and_margin_whichever_grow_was_chosen(chosen_grow: float) -> None:
    img, ink, button = _label_and_button()
    cands = snap_candidates(_rect(0, 0, 1, 1), img, reach=0.0)
    shape = _shape_near(element_boxes(img), ink)
    chosen = next(c for c in cands if c.shape_xyxy_px == shape and c.grow == chosen_grow)
    settled = text_line_extent(chosen, img)
    assert settled.grow == DEFAULT_TEXT_GROW and settled.shape_xyxy_px == shape
    assert settled.xyxy_px == pytest.approx(grown_box(shape, DEFAULT_TEXT_GROW, (320, 120)))
    # the label's box as annotated: its ink, padded by about an eighth of the 20 px font on every side
    pad = 0.12 * 20
    want = (ink[0] - pad, ink[1] - pad, ink[2] + pad, ink[3] + pad)
    assert max(abs(u - v) for u, v in zip(settled.xyxy_px, want)) <= 2.0, (settled.xyxy_px, want)
    cx = (settled.xyxy_px[0] + settled.xyxy_px[2]) / 2
    assert cx == pytest.approx((chosen.xyxy_px[0] + chosen.xyxy_px[2]) / 2)  # the click does not move


def test_a_chosen_button_or_a_candidate_without_a_shape_stays_as_chosen() -> None:
    img, ink, button = _label_and_button()
    cands = snap_candidates(_rect(0, 0, 1, 1), img, reach=0.0)
    shape = _shape_near(element_boxes(img), (button[0] - 0.5, button[1] - 0.5, button[2] + 0.5, button[3] + 0.5))
    for c in (c for c in cands if c.shape_xyxy_px == shape):
        assert text_line_extent(c, img) == c
    bare = SnapCandidate((20.0, 20.0, 150.0, 40.0), 0.5)
    assert text_line_extent(bare, img) == bare
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(GeometryError, match="text_grow"):
            text_line_extent(bare, img, text_grow=bad)


def test_a_line_of_text_is_judged_on_the_rows_of_the_whole_screens_edge_map() -> None:
    """is_text_line crops the shape and a pixel around it: the same rows as the whole screen's edge map,
    for every shape of a screen with words and of a noisy one (shapes at its borders too)."""
    rng = np.random.default_rng(0)
    marks = np.full((80, 120, 3), 250, np.uint8)
    for _ in range(14):  # bars, strokes and dots, some on the screen's edges
        x, y = int(rng.integers(0, 110)), int(rng.integers(0, 76))
        marks[y : y + int(rng.integers(1, 5)), x : x + int(rng.integers(2, 30))] = rng.integers(0, 200, 3)
    assert sum(1 for b in element_boxes(marks).tolist() if b[2] - b[0] >= 2 * (b[3] - b[1])) >= 5
    for img in (_label_and_button()[0], marks):
        edges = edge_map(img)
        h, w = edges.shape
        for x0, y0, x1, y1 in element_boxes(img).tolist():
            r0, r1 = min(max(int(np.floor(y0)), 0), h - 1), min(max(int(np.floor(y1 - 0.5)), 0), h - 1)
            c0, c1 = min(max(int(np.floor(x0)), 0), w - 1), min(max(int(np.floor(x1 - 0.5)), 0), w - 1)
            rows = min(edges[r0, c0:c1 + 1].mean(), edges[r1, c0:c1 + 1].mean())
            want = x1 - x0 >= 2 * (y1 - y0) and rows < 0.5
            assert is_text_line((x0, y0, x1, y1), img) == want, (x0, y0, x1, y1)


# a chosen shape: its outline settled from the pixels ----------------------------------------------
def _drawn(radius: int, *, outline_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A 160 x 90 screen with one box at x 30-129, y 20-59 (end exclusive), corners of ``radius``: filled,
    or only bordered (its inside the screen's colour). Returns the screen and the box's drawn pixels."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (160, 90), (245, 245, 245))
    d = ImageDraw.Draw(img)
    if outline_only:
        d.rounded_rectangle((30, 20, 129, 59), radius, fill=(245, 245, 245), outline=(90, 90, 90), width=2)
    else:
        d.rounded_rectangle((30, 20, 129, 59), radius, fill=(60, 120, 200))
    mask = Image.new("L", (160, 90), 0)
    ImageDraw.Draw(mask).rounded_rectangle((30, 20, 129, 59), radius, fill=255)
    return np.asarray(img), np.asarray(mask) > 0


def _mask_iou(region: Region, mask: np.ndarray) -> float:
    from simpleseg_agent.geometry import region_to_mask

    got = region_to_mask(region, (mask.shape[1], mask.shape[0]))
    return float((got & mask).sum() / (got | mask).sum())


@pytest.mark.parametrize("radius, outline_only", [(0, False), (6, False), (20, False), (8, True)])
def test_a_solid_shape_chosen_as_drawn_gets_its_own_box_and_corners(radius: int, outline_only: bool) -> None:
    """A filled or bordered box (square, rounded, a pill) chosen as drawn: its settled outline is its own
    box on pixel edges, its corners rounded as drawn, so it covers the drawn pixels better than the box."""
    img, drawn = _drawn(radius, outline_only=outline_only)
    shape = _shape_near(element_boxes(img), (29.5, 19.5, 130.5, 60.5))
    chosen = SnapCandidate(shape, 0.0, shape, 0.0)
    settled = shape_extent(chosen, img)
    assert settled.xyxy_px == (30.0, 20.0, 130.0, 60.0)
    assert settled.corner_px == pytest.approx(radius, abs=max(1.5, 0.15 * radius))
    got = _mask_iou(settled.region((160, 90)), drawn)
    assert got >= 0.985, got
    if radius >= 6:
        assert got > _mask_iou(chosen.region((160, 90)), drawn) + 0.01
    # grown by the model, it stays as chosen: a solid shape's grown box is the model's call
    grown = SnapCandidate(grown_box(shape, 0.15, (160, 90)), 0.0, shape, 0.15)
    assert shape_extent(grown, img) == grown


def test_words_marks_and_strokes_are_not_solid() -> None:
    img, ink, button = _label_and_button()
    assert solid_outline(_shape_near(element_boxes(img), ink), img) is None
    assert solid_outline(_shape_near(element_boxes(img), (199.5, 59.5, 300.5, 100.5)), img) is not None
    dash = _screen()
    dash[52:56, 40:58] = 0  # a minimize dash: the square around it is a candidate, not a solid one
    assert solid_outline((40.0, 45.0, 58.0, 63.0), dash) is None
    assert solid_outline((39.5, 51.5, 58.5, 56.5), dash) is not None  # the dash itself is a filled bar
    assert solid_outline((10.0, 10.0, 11.0, 11.0), dash) is None  # too small to have a ring around it


@pytest.mark.parametrize("chosen_grow", DEFAULT_GROW)
def test_a_chosen_glyph_grows_by_the_icon_margin_whichever_grow_was_chosen(chosen_grow: float) -> None:
    from simpleseg_agent.screen.elements import DEFAULT_ICON_GROW, DEFAULT_ICON_ROUND

    img = _screen()
    for k in range(14):  # a cross of two 2 px strokes, 16 px across
        img[42 + k : 44 + k, 92 + k : 94 + k] = 0
        img[42 + k : 44 + k, 106 - k : 108 - k] = 0
    shape = _shape_near(element_boxes(img), (91.5, 41.5, 108.5, 57.5))
    chosen = SnapCandidate(grown_box(shape, chosen_grow, (200, 100)), 0.0, shape, chosen_grow)
    settled = shape_extent(chosen, img)
    assert settled.grow == DEFAULT_ICON_GROW and settled.shape_xyxy_px == shape
    assert settled.xyxy_px == pytest.approx(grown_box(shape, DEFAULT_ICON_GROW, (200, 100)))
    side = min(settled.xyxy_px[2] - settled.xyxy_px[0], settled.xyxy_px[3] - settled.xyxy_px[1])
    assert settled.corner_px == pytest.approx(DEFAULT_ICON_ROUND * side)
    wider = shape_extent(chosen, img, icon_grow=0.4, icon_round=0.0)
    assert wider.xyxy_px == pytest.approx(grown_box(shape, 0.4, (200, 100))) and wider.corner_px == 0.0
    for bad in (-0.1, float("nan"), True):
        with pytest.raises(GeometryError, match="icon_grow"):
            shape_extent(chosen, img, icon_grow=bad)
        with pytest.raises(GeometryError, match="icon_round"):
            shape_extent(chosen, img, icon_round=bad)


def test_lines_of_text_long_strokes_and_bare_candidates_stay_as_chosen() -> None:
    img, ink, button = _label_and_button()
    shape = _shape_near(element_boxes(img), ink)
    word = SnapCandidate(grown_box(shape, 0.3, (320, 120)), 0.0, shape, 0.3)
    assert shape_extent(word, img) == word  # a line of text is text_line_extent's
    rule = _screen()
    rule[20:22, 20:70] = 0
    rule[38:40, 20:70] = 0  # two long strokes, over twice as wide as tall: neither text, nor solid, nor a glyph
    long = SnapCandidate((19.5, 19.5, 70.5, 40.5), 0.0, (19.5, 19.5, 70.5, 40.5), 0.15)
    assert not is_text_line(long.shape_xyxy_px, rule) and solid_outline(long.shape_xyxy_px, rule) is None
    assert shape_extent(long, rule) == long
    bare = SnapCandidate((20.0, 20.0, 150.0, 40.0), 0.5)
    assert shape_extent(bare, img) == bare


@pytest.mark.slow
def test_generated_screens_settle_framed_elements_and_icons_closer_to_their_annotations() -> None:
    """On generated screens (seed 11, never used to choose the settings): buttons, fields, checkboxes and
    toggles chosen as drawn, and title-bar close icons chosen at any grow, settle closer to their annotated
    outlines than the boxes they were chosen as."""
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="easy"))
    framed: list[tuple[float, float]] = []
    icons: list[tuple[float, float]] = []
    for i in range(12):
        image, records = gen.screen(i, seed=11)
        rgb = np.asarray(image)
        cands = snap_candidates(_rect(0, 0, 1, 1), rgb, reach=0.0, max_candidates=1000)
        for rec in records:
            x0, y0, x1, y1 = rec.meta["box_px"]
            if rec.label in ("button", "text_field", "dropdown", "checkbox", "toggle"):
                want, grows = (x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5), (0.0,)
                out = framed
            elif rec.label == "icon_button" and rec.meta.get("name") == "close":
                c = ((x0 + x1) / 2, (y0 + y1) / 2)
                want, grows, out = None, DEFAULT_GROW, icons
            else:
                continue
            for g in grows:
                pool = [k for k in cands if k.grow == g and k.shape_xyxy_px is not None]
                if want is not None:
                    k = min(pool, key=lambda k: sum(abs(u - v) for u, v in zip(k.shape_xyxy_px, want)))
                else:  # the glyph: the smallest shape centred on the button
                    near = [k for k in pool if abs((k.shape_xyxy_px[0] + k.shape_xyxy_px[2]) / 2 - c[0]) < 2
                            and abs((k.shape_xyxy_px[1] + k.shape_xyxy_px[3]) / 2 - c[1]) < 2]
                    k = min(near, key=lambda k: k.shape_xyxy_px[2] - k.shape_xyxy_px[0])
                settled = shape_extent(k, rgb)
                out.append((region_iou(k.region(image.size), rec.region, image.size),
                            region_iou(settled.region(image.size), rec.region, image.size)))
    framed_a, icons_a = np.asarray(framed), np.asarray(icons)
    assert len(framed_a) >= 20 and len(icons_a) >= 3 * 8, (len(framed_a), len(icons_a))
    assert framed_a[:, 1].mean() >= 0.95 and framed_a[:, 1].mean() > framed_a[:, 0].mean() + 0.02, framed_a.mean(0)
    assert icons_a[:, 1].mean() >= 0.8 and icons_a[:, 1].mean() > icons_a[:, 0].mean() + 0.03, icons_a.mean(0)


def _title_screen(words: list[str], px: int = 26):
    """A title bar's words in a large font; returns the screen, its element boxes grouped at 1 and 3 px (on a
    busy title bar the larger distances join the title to the bar's other shapes, so no box holds just the
    title) and each word's ink box."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (420, 60), (235, 235, 235))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, px)
    d.text((12, 14), " ".join(words), fill=(30, 30, 30), font=font)
    inks, x = [], 12.0
    for w in words:
        inks.append(d.textbbox((x, 14), w, font=font))
        x += d.textlength(w + " ", font=font)
    rgb = np.asarray(img)
    return rgb, element_boxes(rgb, gaps_px=(1, 3)), inks


def test_a_chosen_word_takes_in_the_rest_of_its_line() -> None:
    """"New project" at 26 px: the words are further apart than 3 px, so each is a box of its own. Settled
    with the screen's boxes, the chosen first word extends over the whole title."""
    rgb, boxes, inks = _title_screen(["New", "project"])
    first = _shape_near(boxes, (inks[0][0] - 0.5, inks[0][1] - 0.5, inks[0][2] + 0.5, inks[0][3] + 0.5))
    assert not any(b[0] < first[2] - 1 and b[2] > inks[1][2] - 1 for b in boxes.tolist())  # no box holds both
    line = line_of_words(first, boxes, rgb)
    assert line[0] == first[0] and line[2] == pytest.approx(inks[1][2] + 0.5, abs=1.0)
    chosen = SnapCandidate(first, 0.0, first, 0.0)
    settled = text_line_extent(chosen, rgb, boxes=boxes)
    assert settled.shape_xyxy_px == line
    assert settled.xyxy_px == pytest.approx(grown_box(line, DEFAULT_TEXT_GROW, (420, 60)))
    assert text_line_extent(chosen, rgb) == text_line_extent(chosen, rgb, boxes=None)  # no boxes: the word alone
    assert text_line_extent(chosen, rgb).shape_xyxy_px == first
    for bad in (-0.5, float("nan")):
        with pytest.raises(GeometryError, match="word_gap"):
            line_of_words(first, boxes, rgb, word_gap=bad)


def test_a_word_does_not_take_in_a_field_a_far_word_or_another_row() -> None:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (420, 120), (250, 250, 250))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 18)
    d.text((10, 10), "Email", fill=(30, 30, 30), font=font)
    ink = d.textbbox((10, 10), "Email", font=font)
    # a field beside it
    d.rounded_rectangle((ink[2] + 6, 8, ink[2] + 200, 30), 4, fill=(255, 255, 255), outline=(120, 120, 120))
    d.text((10, 60), "Name", fill=(30, 30, 30), font=font)
    name = d.textbbox((10, 60), "Name", font=font)
    d.text((name[2] + 60, 60), "Clear", fill=(30, 30, 30), font=font)  # a word far along the row
    d.text((10, 84), "Address", fill=(30, 30, 30), font=font)  # the row below
    rgb = np.asarray(img)
    boxes = element_boxes(rgb)
    for word in (ink, name):
        shape = _shape_near(boxes, (word[0] - 0.5, word[1] - 0.5, word[2] + 0.5, word[3] + 0.5))
        assert line_of_words(shape, boxes, rgb) == shape


def test_a_candidate_with_rounded_corners_is_outlined_with_them() -> None:
    assert len(SnapCandidate((0, 0, 40, 20), 0.0, corner_px=6.0).region((100, 100)).parts[0].outer) == 20
    assert len(SnapCandidate((0, 0, 40, 20), 0.0).region((100, 100)).parts[0].outer) == 4
