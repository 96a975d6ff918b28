"""Boxes in pixels: grown, rounded, overlapping."""

from __future__ import annotations

import numpy as np
import pytest

from simpleseg_agent.geometry.boxes import grown_box, rounded_box_polygon, xyxy_iou


def test_a_rounded_box_outline_has_the_area_of_its_corners() -> None:
    square = rounded_box_polygon((0, 0, 40, 20), 0.0)
    assert square == [[0.0, 0.0], [40.0, 0.0], [40.0, 20.0], [0.0, 20.0]]
    pts = np.asarray(rounded_box_polygon((0, 0, 40, 20), 6.0, segments=16))
    area = 0.5 * abs(np.dot(pts[:, 0], np.roll(pts[:, 1], -1)) - np.dot(pts[:, 1], np.roll(pts[:, 0], -1)))
    assert area == pytest.approx(800 - (4 - np.pi) * 36, rel=0.005)
    assert pts[:, 0].min() == 0 and pts[:, 0].max() == 40 and pts[:, 1].min() == 0 and pts[:, 1].max() == 20
    capped = np.asarray(rounded_box_polygon((0, 0, 40, 20), 100.0, segments=16))  # at most half the short side
    assert capped[:, 1].min() == 0 and capped[:, 1].max() == 20


@pytest.mark.parametrize(
    ("a", "b", "iou"),
    [
        ((0, 0, 2, 2), (0, 0, 2, 2), 1.0),
        ((0, 0, 2, 2), (1, 0, 3, 2), 1 / 3),
        ((0, 0, 2, 2), (5, 5, 6, 6), 0.0),
        ((0, 0, 0, 0), (0, 0, 0, 0), 0.0),  # empty union
    ],
)
def test_the_overlap_of_two_boxes(a, b, iou) -> None:
    assert xyxy_iou(a, b) == pytest.approx(iou)


def test_a_grown_box_stays_inside_the_image() -> None:
    assert grown_box((2.0, 2.0, 12.0, 6.0), 1.0, (14, 8)) == (0.0, 0.0, 14.0, 8.0)
