"""The tools on a named fake backend: parsing, geometry, spaces and every error path.

The model is not under test here (the tiny real model is, in tests/backends); FakeAnswerBackend
injects answers so each failure mode can be produced on purpose.
"""

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.backends.base import ModelPreset
from simpleseg_agent.backends.presets import PRESETS
from simpleseg_agent.errors import GeometryError, ImageError, ModelError, NotFoundError, ParseError
from simpleseg_agent.grammar import CoordSpace
from simpleseg_agent.prompts import Query, build_prompt
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import BoxResult, Decoding, PointResult, Segmentation, SimpleSeg

IMG = Image.new("RGB", (200, 100), (30, 30, 30))
SQUARE = "[[[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]]"


def seg_with(*answers, **kw):
    return SimpleSeg(FakeAnswerBackend(list(answers), **kw))


def test_segment_success_fields():
    tool = seg_with(f"Sure, you can find it at {SQUARE}.")
    r = tool.segment(IMG, "the square")
    assert r.ok and r.error is None
    assert r.polygons_xy_px == [[(50.0, 25.0), (150.0, 25.0), (150.0, 75.0), (50.0, 75.0)]]
    assert r.xyxy_norm == (0.25, 0.25, 0.75, 0.75) and r.xyxy_px == (50.0, 25.0, 150.0, 75.0)
    assert r.area_px == pytest.approx(5000) and r.area_norm == pytest.approx(0.25)
    assert r.click.xy_px == pytest.approx((100, 50)) and r.click.clearance_px == pytest.approx(25)
    assert r.image_wh == (200, 100) and r.answer_tokens > 0
    assert r.prompt == build_prompt(Query.text("the square"))
    assert r.mask().sum() == 5000
    assert "found 'the square'" in r.summary()


def test_point_and_box_queries_use_the_released_templates():
    fake = FakeAnswerBackend([SQUARE])
    tool = SimpleSeg(fake)
    tool.segment(IMG, Query.point((0.5, 0.5)))
    tool.segment(IMG, Query.box((0.2, 0.2, 0.8, 0.8)))
    assert fake.requests[0].prompt == "Show me the contour of the object at point [0.500, 0.500]."
    assert fake.requests[1].prompt.startswith("Give the polygon vertices of the stuff within the box region [0.200")


def test_locate_point_and_box():
    tool = seg_with("It is at [0.5, 0.25].", "[0.1, 0.2, 0.3, 0.4]")
    p = tool.locate_point(IMG, "the dot")
    assert isinstance(p, PointResult) and p.xy_px == (100.0, 25.0)
    b = tool.locate_box(IMG, "the box")
    assert isinstance(b, BoxResult) and b.xyxy_px == pytest.approx((20, 20, 60, 40))
    assert b.click.xy_px == pytest.approx((40, 30)) and b.click.clearance_px == pytest.approx(10)


@pytest.mark.parametrize(
    "answer, kind, exc",
    [
        ("I cannot find it in this image.", "not_found", NotFoundError),
        ("", "not_found", NotFoundError),
        ("[[[0.1, nan], [0.2, 0.2], [0.3, 0.3]]]", "parse", ParseError),
        ("[[[0.1, -0.2], [0.2, 0.2], [0.3, 0.3]]]", "parse", ParseError),
        ("[[[0.1, 0.1], [0.2", "parse", ParseError),
        ("[[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]]", "geometry", GeometryError),  # collinear: no area
        ("[[]]", "parse", ParseError),
        ("[" * 5000, "parse", ParseError),
        ("[[[0.1, 0.1], " + "[0.2, 0.2], " * 20000 + "[0.3, 0.3]]]", "parse", ParseError),  # over max_points
        (ModelError("CUDA out of memory"), "model", ModelError),
    ],
)
def test_failures_are_readable_results_and_exceptions(answer, kind, exc):
    tool = seg_with(answer)
    r = tool.segment(IMG, "the thing")
    assert not r.ok and r.error.kind == kind and r.polygons_xy_norm == []
    assert kind in r.summary()
    with pytest.raises(exc):
        r.raise_for_error()
    with pytest.raises(exc):
        seg_with(answer).segment(IMG, "the thing", raise_on_error=True)


def test_truncated_answer_keeps_complete_polygons():
    r = seg_with(SQUARE[:-1] + ", [[0.8, 0.8], [0.9").segment(IMG, "x")
    assert r.ok and r.truncated and len(r.polygons_xy_norm) == 1


def test_out_of_range_clamp_and_reject():
    answer = "[[[0.5, 0.5], [1.7, 0.5], [1.7, 0.9]]]"
    r = seg_with(answer).segment(IMG, "x")
    assert r.ok and r.clamped and r.xyxy_norm[2] == 1.0
    tool = SimpleSeg(FakeAnswerBackend([answer]), decoding=Decoding(out_of_range="reject"))
    r = tool.segment(IMG, "x")
    assert not r.ok and r.error.kind == "parse"


@pytest.mark.parametrize("image", ["/nonexistent.png", b"junk", np.zeros((3, 3), np.float32)])
def test_bad_image_is_an_image_error_result(image):
    fake = FakeAnswerBackend([SQUARE])
    r = SimpleSeg(fake).segment(image, "x")
    assert not r.ok and r.error.kind == "image" and fake.requests == []
    with pytest.raises(ImageError):
        r.raise_for_error()


def test_grounding_model_in_resized_pixels():
    # A base Qwen2.5-VL answers in pixels of the image it saw (here 100x50 for a 200x100 input).
    preset = PRESETS["qwen2.5-vl-7b"]
    assert preset.coord_space is CoordSpace.PIXELS

    class Resizing(FakeAnswerBackend):
        def generate(self, requests):
            return [r.__class__(r.text, r.n_tokens, r.model_s, (100, 50)) for r in super().generate(requests)]

    tool = SimpleSeg(Resizing(['{"bbox_2d": [25, 12.5, 75, 37.5]}', '{"point_2d": [50, 25]}'], preset=preset))
    r = tool.segment(IMG, "the button")
    assert r.ok and r.xyxy_px == pytest.approx((50, 25, 150, 75))  # a box-shaped region
    assert len(r.polygons_xy_norm[0]) == 4
    assert "bbox_2d" in tool.backend.requests[0].prompt
    p = tool.locate_point(IMG, "the button")
    assert p.xy_px == pytest.approx((100, 50))


def test_grounding_models_take_text_queries_only():
    tool = SimpleSeg(FakeAnswerBackend(["[1, 2, 3, 4]"], preset=PRESETS["qwen3-vl-8b"]))
    r = tool.segment(IMG, Query.point((0.5, 0.5)))
    assert not r.ok and r.error.kind == "model" and "text queries" in r.error.message


def test_thousand_space_preset():
    tool = SimpleSeg(FakeAnswerBackend(["[500, 250]"], preset=ModelPreset("q3", "x", CoordSpace.THOUSAND, "simpleseg")))
    assert tool.locate_point(IMG, "x").xy_px == pytest.approx((100, 25))


def test_batch_keeps_order_and_isolates_failures():
    answers = iter([SQUARE, "nothing here", "[[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5]]]"])
    tool = SimpleSeg(FakeAnswerBackend(lambda req: next(answers)))
    out = tool.run_batch([IMG, IMG, "/missing.png", IMG], ["a", "b", "c", "d"])
    assert [r.ok for r in out] == [True, False, False, True]
    assert [r.error.kind for r in out if not r.ok] == ["not_found", "image"]
    assert [r.query for r in out] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError):
        tool.run_batch([IMG], ["a", "b"])


def test_latency_split():
    import time

    class Sleepy(FakeAnswerBackend):
        def generate(self, requests):
            time.sleep(0.05)
            return super().generate(requests)

    r = SimpleSeg(Sleepy([SQUARE], model_s=0.05)).segment(IMG, "x")
    assert r.latency.model_s == 0.05
    assert r.latency.total_s >= 0.05
    assert r.latency.total_s == pytest.approx(r.latency.model_s + r.latency.overhead_s, abs=1e-9)
    assert 0 <= r.latency.overhead_s < 0.05


def test_results_serialize_to_json_and_back():
    r = seg_with(SQUARE).segment(IMG, "x")
    again = Segmentation.model_validate_json(r.model_dump_json())
    assert again == r
    schema = Segmentation.model_json_schema()
    assert {"polygons_xy_norm", "click", "error", "latency"} <= set(schema["properties"])
