"""The tools end to end on a real (tiny) Qwen2.5-VL checkpoint loaded through from_pretrained.

The memorized checkpoint was trained for a few hundred steps on fixed scenes until it reproduces
their polygons and click points; segment() must return those polygons and locate_point() must
land inside the shapes. The random checkpoint shows that whatever a real model says is handled.
"""

import json

import numpy as np
import pytest

from simpleseg_agent.cli import main
from simpleseg_agent.geometry import Region, point_in_region, region_iou
from simpleseg_agent.testing.memorize import screen_example, synthetic_examples
from simpleseg_agent.tools import Decoding, SimpleSeg

@pytest.fixture(scope="module")
def memorized_tool(memorized_model_path):
    tool = SimpleSeg(memorized_model_path, decoding=Decoding(max_new_tokens=200))
    yield tool
    tool.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_segment_returns_the_memorized_polygons(memorized_tool):
    examples = synthetic_examples() + [screen_example()]  # the last one: a 1920x1080 screen
    for ex in examples:
        query = ex.query
        r = memorized_tool.segment(ex.image, query)
        assert r.ok, (query, r.raw_answer, r.error)
        iou = region_iou(r.polygons_xy_norm, ex.polygons_xy_norm, ex.image.size)
        assert iou >= 0.9, (query, r.raw_answer)
        assert r.latency.model_s > 0 and r.answer_tokens > 0
        assert point_in_region(r.click.xy_norm, Region.from_polygons(ex.polygons_xy_norm))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_locate_point_lands_inside(memorized_tool):
    for ex in synthetic_examples():
        query = ex.query
        p = memorized_tool.locate_point(ex.image, query)
        assert p.ok, (query, p.raw_answer, p.error)
        assert point_in_region(p.xy_norm, Region.from_polygons(ex.polygons_xy_norm)), (query, p.raw_answer)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_random_model_answers_are_handled(tiny_model_path):
    """A random model says anything; every result is a readable result, never a crash."""
    tool = SimpleSeg(tiny_model_path, decoding=Decoding(max_new_tokens=24))
    image = np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    results = [tool.segment(image, "the submit button"), tool.locate_point(image, "the OK button"),
               tool.locate_box(image, "the search field")]
    for r in results:
        assert r.ok or r.error.kind in {"parse", "not_found", "geometry"}
        assert r.image_wh == (1920, 1080) and r.answer_tokens <= 24
        assert r.model_input_wh is not None and r.model_input_wh[0] % 28 == 0
    tool.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cli_segment_on_the_tiny_model(memorized_model_path, tmp_path, capsys):
    ex = synthetic_examples(1)[0]
    img = tmp_path / "scene.png"
    ex.image.save(img)
    out = tmp_path / "found.png"
    code = main(["segment", str(img), ex.query, "--model", str(memorized_model_path), "--json", "--out", str(out)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] and out.is_file()
    assert region_iou(data["polygons_xy_norm"], ex.polygons_xy_norm, ex.image.size) >= 0.9
