"""Metrics against hand-computed values, with the empty and hostile inputs in the tables."""

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.geometry import (
    HitRate,
    IoUAccumulator,
    Region,
    box_iou,
    centroid_distance,
    click_hit,
    mask_iou,
    rec_hit,
    region_iou,
    region_iou_batch,
    region_mask_iou,
)


def mask(h, w, *boxes):
    m = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in boxes:
        m[y1:y2, x1:x2] = True
    return m


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (mask(4, 4, (0, 0, 4, 2)), mask(4, 4, (0, 1, 4, 3)), 1 / 3),
        (mask(4, 4, (0, 0, 4, 4)), mask(4, 4, (0, 0, 4, 4)), 1.0),
        (mask(4, 4), mask(4, 4), 1.0),  # both empty: nothing to find, nothing found
        (mask(4, 4, (0, 0, 1, 1)), mask(4, 4), 0.0),
        (mask(4, 4, (0, 0, 2, 2)), mask(4, 4, (2, 2, 4, 4)), 0.0),
    ],
)
def test_mask_iou(a, b, expected):
    assert mask_iou(a, b) == pytest.approx(expected)


def test_mask_iou_shape_mismatch():
    with pytest.raises(GeometryError, match="shape"):
        mask_iou(np.zeros((3, 3), bool), np.zeros((3, 4), bool))


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([0, 0, 2, 2], [1, 0, 3, 2], 1 / 3),
        ([0, 0, 1, 1], [0, 0, 1, 1], 1.0),
        ([0, 0, 1, 1], [2, 2, 3, 3], 0.0),
        ([0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], 1.0),  # two empty boxes
        ([0, 0, 0, 0], [0, 0, 1, 1], 0.0),
    ],
)
def test_box_iou(a, b, expected):
    assert box_iou(a, b) == pytest.approx(expected)


def test_box_iou_broadcasts():
    out = box_iou(np.array([[0, 0, 2, 2], [0, 0, 1, 1]]), [0, 0, 1, 1])
    np.testing.assert_allclose(out, [0.25, 1.0])


@pytest.mark.parametrize("bad", [[0, 0, 1], [1, 1, 0, 0], [0, 0, np.nan, 1], [[0, 0, 1, 1, 1]]])
def test_box_iou_rejects(bad):
    with pytest.raises(GeometryError):
        box_iou(bad, [0, 0, 1, 1])


def test_region_iou_hand_computed_and_geometric():
    a = [[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]]
    b = [[[0.25, 0.0], [0.75, 0.0], [0.75, 1.0], [0.25, 1.0]]]
    assert region_iou(a, b, (100, 100)) == pytest.approx(1 / 3)
    assert region_iou(a, b, (100, 100), method="geometric") == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        region_iou(a, b, (100, 100), method="fast")


def test_shifted_polygon_iou_is_exact_in_pixels():
    # a 40x40 square shifted by 10 px: 30*40 / (2*1600 - 1200)
    sq = np.array([[10, 10], [50, 10], [50, 50], [10, 50]], float)
    a = Region.from_px([sq], (100, 100))
    b = Region.from_px([sq + [10, 0]], (100, 100))
    assert region_iou_batch([a], [b], (100, 100))[0] == pytest.approx(1200 / 2000)


def test_region_mask_iou():
    m = mask(10, 10, (0, 0, 5, 10))
    assert region_mask_iou([[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]], m) == 1.0
    assert region_mask_iou(Region.empty(), np.zeros((10, 10), bool)) == 1.0


def test_accumulator_ciou_giou():
    acc = IoUAccumulator()
    acc.add_masks(mask(4, 4, (0, 0, 4, 2)), mask(4, 4, (0, 1, 4, 3)))  # 4 / 12
    acc.add_masks(mask(4, 4, (0, 0, 4, 4)), mask(4, 4, (0, 0, 4, 4)))  # 16 / 16
    sq = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]]
    acc.add_regions(sq, [[[0.0, 0.0], [0.25, 0.0], [0.25, 0.5], [0.0, 0.5]]], (8, 8))  # 8 / 16
    assert acc.n == 3
    assert acc.ciou == pytest.approx((4 + 16 + 8) / (12 + 16 + 16))
    assert acc.giou == pytest.approx((1 / 3 + 1 + 0.5) / 3)
    with pytest.raises(GeometryError):
        acc.add(inter=5, union=3)
    assert np.isnan(IoUAccumulator().giou) and IoUAccumulator().ciou == 1.0


@pytest.mark.parametrize(
    "pred, gt, expected",
    [
        ([[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]], [0.1, 0.1, 0.5, 0.6], True),
        ([[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]], [0.5, 0.5, 0.9, 0.9], False),
        ([0.1, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.5], True),  # a predicted box
        (Region.empty(), [0, 0, 1, 1], False),
    ],
)
def test_rec_hit(pred, gt, expected):
    assert rec_hit(pred, gt) is expected


def u_shape():
    return Region.from_polygons([[[0.1, 0.1], [0.3, 0.1], [0.3, 0.7], [0.7, 0.7], [0.7, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]])


@pytest.mark.parametrize(
    "xy, res, expected",
    [
        ((0.2, 0.5), None, True),
        ((0.5, 0.4), None, False),  # in the U's opening (where its centroid-ish lies)
        ((50, 85), (100, 100), True),
        ((float("nan"), 0.5), None, False),
        ((0.5,), None, False),
    ],
)
def test_click_hit_region(xy, res, expected):
    assert click_hit(xy, u_shape(), res) is expected


def test_click_hit_mask():
    m = mask(10, 10, (2, 2, 5, 5))
    assert click_hit((2.0, 2.0), m) and click_hit((4.99, 4.99), m)
    assert not click_hit((5.0, 2.0), m) and not click_hit((-1, 3), m) and not click_hit((30, 3), m)


def test_centroid_distance():
    a = [[[0.0, 0.0], [0.2, 0.0], [0.2, 0.2], [0.0, 0.2]]]
    b = [[[0.3, 0.4], [0.5, 0.4], [0.5, 0.6], [0.3, 0.6]]]
    px, frac = centroid_distance(a, b, (100, 200))
    assert px == pytest.approx(np.hypot(30, 80))
    assert frac == pytest.approx(px / np.hypot(100, 200))


def test_hit_rate():
    h = HitRate()
    assert np.isnan(h.accuracy)
    for v in (True, True, False, True):
        h.add(v)
    assert h.accuracy == 0.75
