"""Snapping in the tools: the pixels propose, the model's scores choose; and the scores themselves.

The choice logic runs on named fakes (it is not about the model); the scores come from a real tiny
Qwen2.5-VL, checked against a plain forward pass over the whole answer.
"""

from __future__ import annotations

from dataclasses import replace
import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.backends.base import ModelPreset, ScoreRequest
from simpleseg_agent.errors import ModelError
from simpleseg_agent.screen.elements import SnapCandidate
from simpleseg_agent.grammar import CoordSpace
from simpleseg_agent.testing.fakes import FakeAnswerBackend, FakeScoringBackend
from simpleseg_agent.prompts import Query, build_prompt
from simpleseg_agent.tools import Decoding, SimpleSeg
from simpleseg_agent.tools.snapping import OVERLAP_WEIGHT, candidate_answer, choose

BUTTONS = ((50, 40, 150, 70), (160, 40, 190, 70))  # xyxy px on a 200 x 100 screen


def _screen() -> np.ndarray:
    img = np.full((100, 200, 3), 250, np.uint8)
    for x0, y0, x1, y1 in BUTTONS:
        img[y0:y1, x0:x1] = 200
    return img


OVER_FIRST = "It is at [[[0.24, 0.38], [0.76, 0.38], [0.76, 0.72], [0.24, 0.72]]]."  # the first button, 2 px off


def test_without_scores_the_answer_snaps_to_what_it_overlaps_most() -> None:
    r = SimpleSeg(FakeAnswerBackend([OVER_FIRST]), decoding=Decoding(snap=True)).segment(_screen(), "the button")
    assert r.ok and r.snapped == "overlap"
    assert [round(v) for v in r.xyxy_px] == [50, 40, 150, 70]
    assert r.raw_answer == OVER_FIRST  # the model's own answer is kept
    assert 50 < r.click.xy_px[0] < 150 and 40 < r.click.xy_px[1] < 70


def test_the_model_scores_choose_among_the_candidates() -> None:
    """A scorer that prefers candidates right of x 0.7 (the second button): the choice follows the
    scores, not the overlap, and every candidate was written in the answer's own words."""
    def prefer_second(req: ScoreRequest) -> list[float]:
        return [0.0 if float(c.split("[[[")[1].split(",")[0]) > 0.7 else -1000.0 for c in req.continuations]

    fake = FakeScoringBackend([OVER_FIRST], scorer=prefer_second)
    r = SimpleSeg(fake, decoding=Decoding(snap=True)).segment(_screen(), "the small button")
    assert r.snapped == "model"
    assert 155 < r.click.xy_px[0] < 190
    (req,) = fake.score_requests
    assert req.prompt == fake.requests[0].prompt
    assert all(c.startswith("It is at [[[") and c.endswith("]]].") for c in req.continuations)
    assert len(req.continuations) == len(set(req.continuations)) >= 3


def test_a_scorer_that_fails_falls_back_to_the_overlap() -> None:
    fake = FakeScoringBackend([OVER_FIRST], scorer=ModelError("scoring broke"))
    r = SimpleSeg(fake, decoding=Decoding(snap=True)).segment(_screen(), "the button")
    assert r.ok and r.snapped == "overlap" and [round(v) for v in r.xyxy_px] == [50, 40, 150, 70]


def test_a_grounding_model_is_not_asked_to_score_our_answer_style() -> None:
    """Base Qwen-style presets answer in their own JSON; candidates written as coordinate lists would be
    scored as text the model never writes, so the choice is the overlap."""
    grounding = ModelPreset("base", "x", CoordSpace.NORM, "grounding")
    fake = FakeScoringBackend(['{"bbox_2d": [0.24, 0.38, 0.76, 0.72]}'], scorer=lambda req: [0.0] * len(req.continuations),
                              preset=grounding)
    r = SimpleSeg(fake, decoding=Decoding(snap=True)).segment(_screen(), "the button")
    assert r.ok and r.snapped == "overlap" and fake.score_requests == []
    assert [round(v) for v in r.xyxy_px] == [50, 40, 150, 70]


def test_nothing_near_the_answer_leaves_it_alone() -> None:
    img = np.full((100, 200, 3), 250, np.uint8)
    img[2:8, 2:8] = 0
    answer = "[[[0.6, 0.6], [0.9, 0.6], [0.9, 0.9], [0.6, 0.9]]]"
    r = SimpleSeg(FakeAnswerBackend([answer]), decoding=Decoding(snap=True)).segment(img, "x")
    assert r.ok and r.snapped is None and [round(v, 3) for v in r.xyxy_norm] == [0.6, 0.6, 0.9, 0.9]


def test_boxes_snap_and_points_do_not() -> None:
    seg = SimpleSeg(FakeAnswerBackend(["[0.24, 0.38, 0.76, 0.72]"]), decoding=Decoding(snap=True))
    b = seg.locate_box(_screen(), "the button")
    assert b.snapped == "overlap" and [round(v) for v in b.xyxy_px] == [50, 40, 150, 70]
    assert b.click.xy_px == pytest.approx((100.0, 55.0)) and b.click.clearance_px == pytest.approx(15.5)
    p = SimpleSeg(FakeAnswerBackend(["[0.3, 0.5]"]), decoding=Decoding(snap=True)).locate_point(_screen(), "the button")
    assert p.ok and p.xy_norm == (0.3, 0.5)


def test_failed_answers_and_snap_off_are_untouched() -> None:
    bad = SimpleSeg(FakeAnswerBackend(["no idea"]), decoding=Decoding(snap=True)).segment(_screen(), "the button")
    assert not bad.ok and bad.snapped is None
    off = SimpleSeg(FakeAnswerBackend([OVER_FIRST]), decoding=Decoding(snap=False)).segment(_screen(), "the button")
    assert off.snapped is None and [round(v, 2) for v in off.xyxy_norm] == [0.24, 0.38, 0.76, 0.72]


def test_the_presets_reach_and_overlap_weight_set_the_choice() -> None:
    """A far element the scorer prefers slightly: out of reach and outweighed by the answer's overlap
    with the default settings; chosen when the preset looks at the whole screen with the model's choice
    alone (a choice-trained model's settings)."""
    img = _screen()
    img[85:95, 5:25] = 120  # a small box in the far corner, well outside half the answer's size
    def prefer_far(req: ScoreRequest) -> list[float]:
        return [0.0 if float(c.split("[[[")[1].split(",")[0]) < 0.05 else -5.0 for c in req.continuations]

    near = SimpleSeg(FakeScoringBackend([OVER_FIRST], scorer=prefer_far), decoding=Decoding(snap=True)).segment(img, "the box")
    assert near.snapped == "model" and [round(v) for v in near.xyxy_px] == [50, 40, 150, 70]
    wide = ModelPreset("chooser", "x")
    wide_decoding = Decoding(snap=True, reach=100.0, overlap_weight=0.0)
    far = SimpleSeg(FakeScoringBackend([OVER_FIRST], scorer=prefer_far, preset=wide), decoding=wide_decoding).segment(img, "the box")
    assert far.snapped == "model" and far.xyxy_px[0] < 8 and far.xyxy_px[1] > 80
    for bad in (-1.0, float("nan"), float("inf"), True):
        with pytest.raises(ModelError, match="reach|overlap_weight"):
            Decoding(reach=bad)
        with pytest.raises(ModelError, match="reach|overlap_weight"):
            Decoding(overlap_weight=bad)


def test_the_preset_decides_when_snap_is_not_given() -> None:
    on = ModelPreset("screens", "x")
    on_decoding = Decoding(snap=True)
    assert SimpleSeg(FakeAnswerBackend([OVER_FIRST], preset=on), decoding=on_decoding).decoding.snap is True
    assert SimpleSeg(FakeAnswerBackend([OVER_FIRST], preset=on), decoding=replace(on_decoding, snap=False)).decoding.snap is False
    assert SimpleSeg(FakeAnswerBackend([OVER_FIRST])).decoding.snap is False


@pytest.mark.parametrize("bad", ["yes", 1, 0.5])
def test_snap_must_be_a_bool(bad) -> None:
    with pytest.raises(ModelError, match="snap"):
        SimpleSeg(FakeAnswerBackend([OVER_FIRST]), decoding=Decoding(snap=bad))


def test_candidates_are_written_in_the_models_style() -> None:
    c = SnapCandidate((0.0, 50.0, 200.0, 100.0), 0.3)
    assert candidate_answer("Here: [[[5,5],[9,9],[1,9]]]", c, (200, 100), "mask", CoordSpace.THOUSAND) == \
        "Here: [[[0,500],[999,500],[999,999],[0,999]]]"
    assert candidate_answer("[[[0.1, 0.1], [0.2, 0.2], [0.1, 0.2]]]", c, (200, 100), "mask", CoordSpace.NORM) == \
        "[[[0.000, 0.500], [1.000, 0.500], [1.000, 1.000], [0.000, 1.000]]]"
    assert candidate_answer("Box [1,2,3,4] ok", c, (200, 100), "box", CoordSpace.THOUSAND) == "Box [0,500,999,999] ok"


def test_the_choice_weighs_overlap_against_likelihood() -> None:
    a, b = SnapCandidate((0, 0, 1, 1), 0.5), SnapCandidate((0, 0, 2, 2), 0.4)
    margin = OVERLAP_WEIGHT * 0.1  # what a's extra overlap is worth
    assert choose([a, b], [0.0, margin - 1.0]) == 0
    assert choose([a, b], [0.0, margin + 1.0]) == 1
    assert choose([a, b], None) == 0 and choose([b, a], None) == 1


# --- the scores of a real (tiny) model ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_backend(tiny_model_path):
    from simpleseg_agent.backends.transformers_backend import TransformersBackend

    be = TransformersBackend(tiny_model_path)
    yield be
    be.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_scores_are_the_log_likelihood_of_a_plain_forward_pass(tiny_backend) -> None:
    import torch

    image = Image.fromarray(_screen())
    prompt = "What is the polygon of the button?"
    conts = ("It is at [[[0.250, 0.400], [0.750, 0.400], [0.750, 0.700]]].", "It is at [[[0.8, 0.4]]].", "no")
    got = tiny_backend.score(ScoreRequest(image, prompt, conts), chunk=2)  # two chunks: the cache is copied per chunk
    proc, model = tiny_backend.processor, tiny_backend.model
    ctx = tiny_backend.chat_text(prompt)
    n_ctx = proc(text=[ctx], images=[image], return_tensors="pt")["input_ids"].shape[1]
    for cont, score in zip(conts, got):
        full = proc(text=[ctx + cont], images=[image], return_tensors="pt")
        with torch.inference_mode():
            logits = model(**full).logits.float()
        lp = torch.log_softmax(logits[0, :-1], dim=-1).gather(-1, full["input_ids"][0, 1:, None])[:, 0]
        assert score == pytest.approx(float(lp[n_ctx - 1 :].sum()), abs=1e-3)
    # and the backend still answers as before: scoring left no positions behind
    assert tiny_backend.generate([__import__("simpleseg_agent.backends.base", fromlist=["x"]).GenerationRequest(
        image, prompt, max_new_tokens=4)])[0].n_tokens <= 4


@pytest.mark.parametrize("conts", [(), ("",), ("ok", 3)])
def test_bad_score_requests_are_refused(tiny_backend, conts) -> None:
    with pytest.raises(ModelError):
        tiny_backend.score(ScoreRequest(Image.new("RGB", (28, 28)), "q", conts))


def test_a_server_backend_cannot_score() -> None:
    with pytest.raises(ModelError, match="cannot score"):
        FakeAnswerBackend(["x"]).score(ScoreRequest(Image.new("RGB", (4, 4)), "q", ("a",)))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_snapping_keeps_the_memorized_screen_answer_right(memorized_model_path) -> None:
    """The memorized model outlines the button of its 1920 x 1080 screen almost exactly; snapped, with
    the model's own scores choosing among the shapes near it, the outline is the button's (IoU >= 0.9)."""
    from simpleseg_agent.geometry import Region, point_in_region, region_iou
    from simpleseg_agent.testing.memorize import screen_example

    ex = screen_example()
    tool = SimpleSeg(memorized_model_path, decoding=Decoding(max_new_tokens=200, snap=True))
    try:
        r = tool.segment(ex.image, ex.query)
    finally:
        tool.close()
    assert r.ok and r.snapped == "model", (r.raw_answer, r.error)
    assert region_iou(r.polygons_xy_norm, ex.polygons_xy_norm, ex.image.size) >= 0.9
    assert point_in_region(r.click.xy_norm, Region.from_polygons(ex.polygons_xy_norm))


# choice decoding: a choice-trained model's preset chooses without generating an answer ----------------
WIDE = ModelPreset("chooser", "x")
WIDE_DECODING = Decoding(snap=True, reach=100.0, overlap_weight=0.0)


def _x0(text: str) -> float:
    """The first number of a candidate's coordinate list (x0 of a box, x of an outline's first point)."""
    return float(text[text.index("[") :].lstrip("[").split(",")[0])


def test_a_choice_trained_preset_chooses_without_generating_an_answer() -> None:
    """Snapping that takes the whole screen and ignores overlap cannot use the answer: the model only
    scores every element of the screen, written in the bare answer phrase, and the chosen one is the result."""
    fake = FakeScoringBackend([OVER_FIRST], scorer=lambda req: [0.0 if _x0(c) > 0.7 else -50.0 for c in req.continuations],
                              preset=ModelPreset("chooser", "x", CoordSpace.NORM))
    seg = SimpleSeg(fake, decoding=WIDE_DECODING)
    assert seg.decoding.snap and seg.decoding.choose_only
    r = seg.segment(_screen(), "the small button")
    assert fake.requests == []  # nothing was generated
    (req,) = fake.score_requests
    assert req.prompt == build_prompt(Query.text("the small button"), "mask")
    assert all(c.startswith("[[[") and c.endswith("]]].") for c in req.continuations)
    # both buttons are candidates, each as drawn and grown
    assert {_x0(c) > 0.7 for c in req.continuations} == {True, False} and len(req.continuations) >= 4
    assert r.ok and r.snapped == "model" and r.answer_tokens == 0 and r.raw_answer in req.continuations
    assert 155 < r.click.xy_px[0] < 190 and 40 < r.click.xy_px[1] < 70
    b = seg.locate_box(_screen(), "the small button")
    assert fake.requests == [] and all(c.startswith("[") and "[[" not in c for c in fake.score_requests[-1].continuations)
    assert b.ok and b.snapped == "model" and 155 < b.click.xy_px[0] < 190
    seg.locate_point(_screen(), "the small button")  # points do not snap: the model answers
    assert len(fake.requests) == 1


def test_choosing_without_an_answer_picks_what_snapping_the_answer_picks() -> None:
    """With the overlap weighing nothing and every element a candidate, the answer cannot change the
    choice: both ways pick the same element for any scorer of the coordinates."""
    import zlib

    img = _screen()
    img[85:95, 5:25] = 120
    img[10:30, 100:130] = 90

    def scorer(seed: int):
        return lambda req: [float(zlib.crc32(f"{seed}:{c[c.index('['):]}".encode()) % 997) for c in req.continuations]

    for seed in range(12):
        picked = []
        for choose_only in (True, False):
            fake = FakeScoringBackend([OVER_FIRST], scorer=scorer(seed), preset=WIDE)
            r = SimpleSeg(fake, decoding=replace(WIDE_DECODING, choose_only=choose_only)).segment(img, "the box")
            assert r.ok and r.snapped == "model" and len(fake.requests) == (0 if choose_only else 1)
            picked.append(r.xyxy_px)
        assert picked[0] == picked[1], seed


def test_the_answer_is_generated_when_choosing_alone_cannot_do() -> None:
    """A blank screen (no element), a scorer that fails and ``choose_only=False``: the model answers, and its
    answer snaps as before. A screen with more candidates than snapping near an answer scores is still
    chosen on, without an answer (no cliff at a candidate count)."""
    blank = np.full((100, 200, 3), 250, np.uint8)
    fake = FakeScoringBackend([OVER_FIRST], scorer=lambda req: [0.0] * len(req.continuations), preset=WIDE)
    r = SimpleSeg(fake, decoding=WIDE_DECODING).segment(blank, "the button")
    assert len(fake.requests) == 1 and r.ok and r.snapped is None and r.raw_answer == OVER_FIRST
    grid = np.full((400, 600, 3), 250, np.uint8)
    for i in range(7):
        for j in range(11):
            grid[10 + 55 * i : 40 + 55 * i, 10 + 53 * j : 50 + 53 * j] = 120  # 77 boxes, 3 sizes each
    fake = FakeScoringBackend([OVER_FIRST], scorer=lambda req: [0.0] * len(req.continuations), preset=WIDE)
    r = SimpleSeg(fake, decoding=WIDE_DECODING).segment(grid, "the button")
    assert len(fake.requests) == 0 and r.ok and r.snapped == "model" and r.stage == "choice"
    assert len(fake.score_requests[-1].continuations) == 231  # 77 boxes, 3 sizes each: all of them
    fake = FakeScoringBackend([OVER_FIRST], scorer=lambda req: [0.0] * len(req.continuations), preset=WIDE)
    r = SimpleSeg(fake, decoding=replace(WIDE_DECODING, choose_only=False)).segment(grid, "the button")
    assert len(fake.requests) == 1 and r.ok and r.snapped == "model"
    assert len(fake.score_requests[-1].continuations) == 192  # snapping near the answer: the ones nearest it
    assert fake.score_requests[-1].continuations[0].startswith("It is at")  # in the answer's words
    broken = FakeScoringBackend([OVER_FIRST], scorer=ModelError("scoring broke"), preset=WIDE)
    r = SimpleSeg(broken, decoding=WIDE_DECODING).segment(_screen(), "the button")
    assert len(broken.requests) == 1 and r.ok and r.snapped == "overlap"
    assert [round(v) for v in r.xyxy_px] == [50, 40, 150, 70]
    fake = FakeScoringBackend([OVER_FIRST], scorer=lambda req: [0.0] * len(req.continuations), preset=WIDE)
    seg = SimpleSeg(fake, decoding=replace(WIDE_DECODING, choose_only=False))
    assert not seg.decoding.choose_only and seg.segment(_screen(), "the button").raw_answer == OVER_FIRST
    assert len(fake.requests) == 1


def test_a_batch_mixes_chosen_and_generated_answers_in_order() -> None:
    blank = np.full((100, 200, 3), 250, np.uint8)
    fake = FakeScoringBackend([OVER_FIRST], scorer=lambda req: [0.0 if _x0(c) > 0.7 else -50.0 for c in req.continuations],
                              preset=WIDE)
    out = SimpleSeg(fake, decoding=WIDE_DECODING).run_batch([_screen(), blank, "/no/such/image.png", _screen()], ["a", "b", "c", "d"])
    assert [r.query for r in out] == ["a", "b", "c", "d"]
    assert [r.snapped for r in out] == ["model", None, None, "model"]
    assert out[1].raw_answer == OVER_FIRST and not out[2].ok and out[2].error.kind == "image"
    assert len(fake.requests) == 1  # only the blank screen was answered


@pytest.mark.parametrize(("kwargs", "preset", "message"), [
    ({"choose_only": True, "snap": True}, ModelPreset("near", "x"), "snaps near its answer"),
    ({"choose_only": True, "snap": False, "reach": 100.0, "overlap_weight": 0.0}, WIDE, "needs snap=True"),
    ({"choose_only": True, "snap": True, "reach": 100.0, "overlap_weight": 0.0, "samples": 2}, WIDE, "consensus"),
    ({"choose_only": True, "snap": True, "reach": 100.0, "overlap_weight": 0.0},
     ModelPreset("g", "x", CoordSpace.NORM, "grounding"), "coordinate lists"),
    ({"choose_only": "yes"}, WIDE, "choose_only must be"),
])
def test_choose_only_where_it_cannot_apply_is_refused(kwargs, preset, message) -> None:
    fake = FakeScoringBackend([OVER_FIRST], scorer=lambda req: [0.0] * len(req.continuations), preset=preset)
    with pytest.raises(ModelError, match=message):
        SimpleSeg(fake, decoding=Decoding(**kwargs))


def test_choose_only_needs_a_backend_that_scores() -> None:
    with pytest.raises(ModelError, match="cannot score"):
        SimpleSeg(FakeAnswerBackend([OVER_FIRST], preset=WIDE), decoding=replace(WIDE_DECODING, choose_only=True))
    assert SimpleSeg(FakeAnswerBackend([OVER_FIRST], preset=WIDE), decoding=WIDE_DECODING).decoding.choose_only is False  # the default falls back


# a chosen line of text: its extent from the pixels (the preset's snap_text_grow) -----------------
def _label_screen() -> tuple[Image.Image, tuple[float, float, float, float]]:
    """A 320 x 120 screen with the label "Email address" and a filled button; the label's ink box."""
    from PIL import ImageDraw, ImageFont

    img = Image.new("RGB", (320, 120), (250, 250, 250))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 20)
    d.text((20, 20), "Email address", fill=(30, 30, 30), font=font)
    d.rounded_rectangle((200, 60, 299, 99), radius=6, fill=(60, 120, 200))
    return img, tuple(float(v) for v in d.textbbox((20, 20), "Email address", font=font))


def _prefer_box(want_px: tuple[float, float, float, float], wh: tuple[int, int]):
    """A named fake scorer: the candidate nearest ``want_px`` (0-1000 coordinates) scores highest."""
    def scorer(req: ScoreRequest) -> list[float]:
        out = []
        for c in req.continuations:
            nums = [float(v) for v in c[c.index("[") : c.rindex("]") + 1].replace("[", " ").replace("]", " ").replace(",", " ").split()]
            xs, ys = nums[0::2], nums[1::2]
            box = (min(xs) * wh[0] / 1000, min(ys) * wh[1] / 1000, max(xs) * wh[0] / 1000, max(ys) * wh[1] / 1000)
            out.append(-sum(abs(u - v) for u, v in zip(box, want_px)))
        return out
    return scorer


TEXT_CHOOSER = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
TEXT_CHOOSER_DECODING = Decoding(snap=True, reach=100.0, overlap_weight=0.0, text_grow=0.15)


@pytest.mark.parametrize("answer", ["mask", "box"])
def test_a_chosen_line_of_text_takes_its_margin_from_the_preset(answer: str) -> None:
    """The scorer prefers the label's bare ink box (a model that places a word's box too tight): with the
    preset's snap_text_grow the result is the ink grown by 15 % of its height, without it the ink; the
    click stays where it was."""
    from simpleseg_agent.geometry.boxes import grown_box
    from simpleseg_agent.screen.elements import element_boxes

    img, ink = _label_screen()
    shape = min(element_boxes(np.asarray(img)).tolist(), key=lambda b: sum(abs(u - v) for u, v in zip(b, ink)))
    seg = SimpleSeg(FakeScoringBackend([], scorer=_prefer_box(tuple(shape), img.size), preset=TEXT_CHOOSER), decoding=TEXT_CHOOSER_DECODING)
    tight = SimpleSeg(FakeScoringBackend([], scorer=_prefer_box(tuple(shape), img.size), preset=TEXT_CHOOSER), decoding=replace(TEXT_CHOOSER_DECODING, text_extent=False))
    assert seg.decoding.text_grow == 0.15 and tight.decoding.text_grow is None
    ask = seg.segment if answer == "mask" else seg.locate_box
    r = ask(img, "the label \"Email address\"")
    t = (tight.segment if answer == "mask" else tight.locate_box)(img, "the label \"Email address\"")
    assert r.ok and t.ok and r.snapped == t.snapped == "model"
    assert list(t.xyxy_px) == pytest.approx(shape, abs=1.0)
    assert list(r.xyxy_px) == pytest.approx(grown_box(shape, 0.15, img.size), abs=1.0)
    assert r.xyxy_px[2] - r.xyxy_px[0] > t.xyxy_px[2] - t.xyxy_px[0] + 4
    assert r.click.xy_px == pytest.approx(t.click.xy_px, abs=1.0)


def test_a_chosen_button_keeps_the_box_the_model_chose() -> None:
    img, _ = _label_screen()
    button = (199.5, 59.5, 299.5, 99.5)
    r = SimpleSeg(FakeScoringBackend([], scorer=_prefer_box(button, img.size), preset=TEXT_CHOOSER), decoding=TEXT_CHOOSER_DECODING).segment(img, "the button")
    assert r.ok and list(r.xyxy_px) == pytest.approx(button, abs=1.0)


def test_the_text_extent_is_the_presets_unless_asked() -> None:
    img, ink = _label_screen()
    plain = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
    plain_decoding = Decoding(snap=True, reach=100.0, overlap_weight=0.0)
    scorer = _prefer_box(ink, img.size)
    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=plain), decoding=plain_decoding).decoding.text_grow is None
    from simpleseg_agent.screen.elements import DEFAULT_TEXT_GROW

    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=plain), decoding=replace(plain_decoding, text_extent=True)).decoding.text_grow == DEFAULT_TEXT_GROW
    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=TEXT_CHOOSER), decoding=replace(TEXT_CHOOSER_DECODING, snap=False)).decoding.text_grow is None
    with pytest.raises(ModelError, match="snap=True"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=TEXT_CHOOSER), decoding=replace(TEXT_CHOOSER_DECODING, snap=False, text_extent=True))
    with pytest.raises(ModelError, match="text_extent must be"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=TEXT_CHOOSER), decoding=replace(TEXT_CHOOSER_DECODING, text_extent="yes"))
    for bad in (-0.1, 1.5, float("nan"), True):
        with pytest.raises(ModelError, match="text_grow"):
            Decoding(text_grow=bad)


SHAPE_CHOOSER = ModelPreset("chooser", "x", CoordSpace.THOUSAND)
SHAPE_CHOOSER_DECODING = Decoding(snap=True, reach=100.0, overlap_weight=0.0, text_grow=0.15, icon_grow=0.25, icon_round=0.25)


@pytest.mark.parametrize("answer", ["mask", "box"])
def test_a_chosen_button_takes_its_own_rounded_outline_from_the_preset(answer: str) -> None:
    """The button (x 200-299, y 60-99, corners of radius 6) chosen as drawn: with the preset's
    snap_icon_grow its outline is its own, corners rounded, and covers the drawn pixels better than the box the
    model chose; without it (shape_extent=False) the box stands. The click does not move."""
    from PIL import ImageDraw

    from simpleseg_agent.geometry import region_to_mask

    img, _ = _label_screen()
    chosen = (199.5, 59.5, 300.5, 100.5)  # the element box: through the pixels just outside the button
    seg = SimpleSeg(FakeScoringBackend([], scorer=_prefer_box(chosen, img.size), preset=SHAPE_CHOOSER), decoding=SHAPE_CHOOSER_DECODING)
    boxy = SimpleSeg(FakeScoringBackend([], scorer=_prefer_box(chosen, img.size), preset=SHAPE_CHOOSER), decoding=replace(SHAPE_CHOOSER_DECODING, shape_extent=False))
    assert (seg.decoding.icon_grow, seg.decoding.icon_round) == (0.25, 0.25) and boxy.decoding.shape_extent is False
    r = (seg.segment if answer == "mask" else seg.locate_box)(img, "the button")
    b = (boxy.segment if answer == "mask" else boxy.locate_box)(img, "the button")
    assert r.ok and b.ok and r.snapped == b.snapped == "model"
    assert list(r.xyxy_px) == pytest.approx([200, 60, 300, 100], abs=0.01)
    assert list(b.xyxy_px) == pytest.approx(chosen, abs=0.5)
    if answer == "mask":
        drawn = Image.new("L", img.size, 0)
        ImageDraw.Draw(drawn).rounded_rectangle((200, 60, 299, 99), radius=6, fill=255)
        want = np.asarray(drawn) > 0

        def iou(res) -> float:
            got = region_to_mask(res.region(), img.size)
            return float((got & want).sum() / (got | want).sum())

        assert len(r.region().parts[0].outer) > 4 and len(b.region().parts[0].outer) == 4
        assert iou(r) >= 0.99 and iou(r) > iou(b) + 0.02, (iou(r), iou(b))
        assert r.click.xy_px == pytest.approx(b.click.xy_px, abs=1.0)


def test_the_shape_extent_is_the_presets_unless_asked() -> None:
    from simpleseg_agent.screen.elements import DEFAULT_ICON_GROW, DEFAULT_ICON_ROUND

    img, ink = _label_screen()
    scorer = _prefer_box(ink, img.size)
    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=TEXT_CHOOSER), decoding=TEXT_CHOOSER_DECODING).decoding.shape_extent is False
    asked = SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=TEXT_CHOOSER),
                      decoding=replace(TEXT_CHOOSER_DECODING, shape_extent=True)).decoding
    assert (asked.icon_grow, asked.icon_round) == (DEFAULT_ICON_GROW, DEFAULT_ICON_ROUND)
    assert SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=SHAPE_CHOOSER), decoding=replace(SHAPE_CHOOSER_DECODING, snap=False)).decoding.shape_extent is False
    with pytest.raises(ModelError, match="snap=True"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=SHAPE_CHOOSER), decoding=replace(SHAPE_CHOOSER_DECODING, snap=False, shape_extent=True))
    with pytest.raises(ModelError, match="shape_extent must be"):
        SimpleSeg(FakeScoringBackend([], scorer=scorer, preset=SHAPE_CHOOSER), decoding=replace(SHAPE_CHOOSER_DECODING, shape_extent=1))
    for bad in (-0.1, 1.5, float("nan"), True):
        with pytest.raises(ModelError, match="icon_grow"):
            Decoding(icon_grow=bad)
    for bad in (-0.1, 0.6, float("inf"), False):
        with pytest.raises(ModelError, match="icon_round"):
            Decoding(icon_grow=0.25, icon_round=bad)


def test_a_chosen_word_is_settled_with_the_rest_of_its_line_among_the_candidates() -> None:
    """The candidates a word was chosen from hold the other words of its line: settling takes them in; a
    settle without them keeps the word alone."""
    from PIL import ImageDraw, ImageFont

    from simpleseg_agent.geometry import Region
    from simpleseg_agent.screen.elements import element_boxes, snap_candidates
    from simpleseg_agent.tools.snapping import settle

    img = Image.new("RGB", (420, 60), (235, 235, 235))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 26)
    d.text((12, 14), "New project", fill=(30, 30, 30), font=font)
    first, title = d.textbbox((12, 14), "New", font=font), d.textbbox((12, 14), "New project", font=font)
    rgb = np.asarray(img)
    whole = Region.from_polygons([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]])
    cands = snap_candidates(whole, boxes=element_boxes(rgb, gaps_px=(1, 3)), resolution_wh=img.size, reach=0.0)
    word = min((c for c in cands if c.grow == 0), key=lambda c: sum(abs(u - v) for u, v in zip(c.xyxy_px, first)))
    assert word.xyxy_px[2] < title[2] - 50  # the first word alone
    alone, lined = settle(word, rgb, 0.15), settle(word, rgb, 0.15, None, cands)
    assert alone.shape_xyxy_px == word.shape_xyxy_px
    assert lined.shape_xyxy_px[0] == word.shape_xyxy_px[0]
    assert lined.shape_xyxy_px[2] == pytest.approx(title[2] + 0.5, abs=1.0)


def test_snapping_near_the_answer_settles_a_line_of_text_too() -> None:
    """A model that snaps near its answer (overlap counts) gets the same extent for a chosen label."""
    from simpleseg_agent.geometry.boxes import grown_box
    from simpleseg_agent.screen.elements import DEFAULT_TEXT_GROW, element_boxes

    img, ink = _label_screen()
    shape = min(element_boxes(np.asarray(img)).tolist(), key=lambda b: sum(abs(u - v) for u, v in zip(b, ink)))
    w, h = img.size
    x0, y0, x1, y1 = shape[0] / w, shape[1] / h, shape[2] / w, shape[3] / h
    answer = f"[[[{x0:.3f}, {y0:.3f}], [{x1:.3f}, {y0:.3f}], [{x1:.3f}, {y1:.3f}], [{x0:.3f}, {y1:.3f}]]]"
    near = ModelPreset("near", "x", CoordSpace.NORM)
    near_decoding = Decoding(snap=True, text_grow=DEFAULT_TEXT_GROW)
    fake = FakeScoringBackend([answer], scorer=lambda req: [0.0] * len(req.continuations), preset=near)
    r = SimpleSeg(fake, decoding=near_decoding).segment(img, "the label")
    assert r.ok and r.snapped == "model"
    assert list(r.xyxy_px) == pytest.approx(grown_box(shape, DEFAULT_TEXT_GROW, img.size), abs=1.0)
