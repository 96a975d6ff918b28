"""Rewards on hand-built cases: the exact polygon scores 1, garbage 0, a shifted polygon its exact IoU."""

import math

import numpy as np
import pytest

from simpleseg_agent.grammar import format_box, format_point, format_polygons
from simpleseg_agent.training.rewards import (
    SimpleSegReward,
    centroid_reward,
    completion_text,
    format_reward,
    iou_reward,
)

SQ = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]
GT = [SQ]
WH = (100, 100)


def chat(text):
    return [{"role": "assistant", "content": text}]


@pytest.mark.parametrize(
    "answer, expected",
    [
        (format_polygons([SQ]), 1.0),
        ("It is at " + format_polygons([SQ]) + ".", 1.0),
        (format_polygons([np.array(SQ) + [0.2, 0.0]]), 20 * 40 / (2 * 1600 - 20 * 40)),  # shifted by 20 px: 1/3... exact
        (format_polygons([np.array(SQ) + [0.4, 0.4]]), 0.0),
        ("", 0.0),
        ("I cannot see it", 0.0),
        ("[[[0.1, nan], [0.2, 0.2], [0.3, 0.3]]]", 0.0),
        ("[" * 1000, 0.0),
        ("[[[0.1, 0.1], [0.5, 0.1], [0.5", 0.0),  # truncated before any complete polygon
    ],
)
def test_iou_reward_table(answer, expected):
    got = iou_reward([chat(answer)], gt_polygons=[GT], image_wh=[WH])
    assert got == [pytest.approx(expected)]


def test_shifted_polygon_reward_is_its_exact_iou():
    # 40x40 square shifted by 20 px -> intersection 800, union 2400
    got = iou_reward([format_polygons([np.array(SQ) + [0.2, 0.0]])], gt_polygons=[GT], image_wh=[WH])[0]
    assert got == pytest.approx(800 / 2400)


def test_box_and_point_tasks():
    answers = [format_box([0.1, 0.1, 0.5, 0.5]), format_box([0.3, 0.1, 0.7, 0.5]), format_point([0.3, 0.3]), format_point([0.9, 0.9])]
    tasks = ["text2box", "point2box", "text2point", "text2point"]
    got = iou_reward(answers, task=tasks, gt_polygons=[GT] * 4, gt_xyxy=[[0.1, 0.1, 0.5, 0.5]] * 4, image_wh=[WH] * 4)
    assert got == [pytest.approx(1.0), pytest.approx(1 / 3), 1.0, 0.0]
    # a polygon answered where a box was asked is not the task's format
    assert format_reward([format_polygons([SQ])], task=["text2box"], gt_xyxy=[[0.1, 0.1, 0.5, 0.5]]) == [0.0]


def test_format_reward():
    answers = [
        format_polygons([SQ]),
        "garbage",
        format_polygons([SQ])[:-1] + ", [[0.7, 0.7], [0.8",  # truncated after a complete polygon
        "[[[0.1, 0.1], [1.5, 0.1], [0.5, 0.5]]]",  # out of range -> clamped
    ]
    assert format_reward(answers, gt_polygons=[GT] * 4) == [1.0, 0.0, 0.0, 0.0]


def test_centroid_reward():
    shifted = format_polygons([np.array(SQ) + [0.1, 0.0]])
    got = centroid_reward([format_polygons([SQ]), shifted, "x"], gt_polygons=[GT] * 3, image_wh=[WH] * 3, scale=0.1)
    d = 10 / math.hypot(100, 100)
    assert got == [pytest.approx(1.0), pytest.approx(math.exp(-d / 0.1)), 0.0]


def test_combined_reward_and_weights():
    r = SimpleSegReward(w_iou=1.0, w_centroid=0.0, w_format=0.0)
    shifted = format_polygons([np.array(SQ) + [0.2, 0.0]])
    assert r([shifted], gt_polygons=[GT], image_wh=[WH]) == [pytest.approx(1 / 3)]
    full = SimpleSegReward()
    assert full([format_polygons([SQ]), "?"], gt_polygons=[GT, GT], image_wh=[WH, WH]) == [pytest.approx(1.0), 0.0]
    assert full.__name__ == "simpleseg_reward"
    with pytest.raises(ValueError):
        SimpleSegReward(w_iou=-1)


def test_no_length_penalty():
    dense = np.array([[0.1 + 0.4 * t, 0.1] for t in np.linspace(0, 1, 50)] + [[0.5, 0.5], [0.1, 0.5]])
    assert iou_reward([format_polygons([dense])], gt_polygons=[GT], image_wh=[WH]) == [pytest.approx(1.0)]


def test_columns_must_match_completions():
    with pytest.raises(ValueError, match="gt_polygons"):
        iou_reward(["a", "b"], gt_polygons=[GT], image_wh=[WH, WH])
    with pytest.raises(ValueError, match="unknown task"):
        iou_reward(["a"], task=["text2blob"], gt_polygons=[GT])


def test_completion_text_forms():
    assert completion_text("x") == "x"
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]) == "ab"


def test_large_images_are_capped():
    big = iou_reward([format_polygons([np.array(SQ) + [0.2, 0.0]])], gt_polygons=[GT], image_wh=[(8000, 6000)])[0]
    assert big == pytest.approx(1 / 3, abs=2e-3)


def test_boundary_f_reward():
    from simpleseg_agent.training.rewards import boundary_f_reward

    exact = format_polygons([SQ])
    near = format_polygons([np.array(SQ) + [0.005, 0.0]])  # half a pixel-ish at 100 px: within tolerance
    far = format_polygons([np.array(SQ) + [0.45, 0.45]])
    got = boundary_f_reward([exact, near, far, "junk", format_box([0.1, 0.1, 0.5, 0.5])],
                            task=["text2mask"] * 4 + ["text2box"], gt_polygons=[GT] * 5, image_wh=[(400, 400)] * 5)
    assert got[0] == pytest.approx(1.0)
    assert got[1] > 0.9
    assert got[2] == 0.0 and got[3] == 0.0 and got[4] == 0.0
    weighted = SimpleSegReward(w_iou=0.0, w_centroid=0.0, w_format=0.0, w_boundary=1.0)
    assert weighted([exact], gt_polygons=[GT], image_wh=[(400, 400)]) == [pytest.approx(1.0)]


def test_compact_answers_are_read_on_the_0_999_grid():
    gt = [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]
    compact = "[[[100,100],[500,100],[500,500],[100,500]]]"
    assert SimpleSegReward(coord_space="1000")([compact], gt_polygons=[gt], image_wh=[(64, 64)]) == [1.0]
    # read as 0-1 numbers, 100 and 500 are far out of range: clamped to the corner, no overlap
    assert SimpleSegReward()([compact], gt_polygons=[gt], image_wh=[(64, 64)])[0] < 0.2
    with pytest.raises(ValueError, match="coord_space"):
        SimpleSegReward(coord_space="px")
