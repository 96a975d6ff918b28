"""Coordinate spaces: the one converter between model spaces and normalized coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.grammar import CoordSpace, coerce_space, from_norm, space_scale_xy, to_norm


@pytest.mark.parametrize(
    ("values", "space", "resolution_wh", "expected"),
    [
        ([0.5, 0.25], "norm", None, [0.5, 0.25]),
        ([0.5, 0.25], CoordSpace.NORM, (10, 10), [0.5, 0.25]),  # resolution ignored outside pixels
        ([500, 250], "1000", None, [0.5, 0.25]),
        ([1000, 0], CoordSpace.THOUSAND, None, [1.0, 0.0]),
        ([960, 540], "px", (1920, 1080), [0.5, 0.5]),
        ([1920, 1080], CoordSpace.PIXELS, (1920, 1080), [1.0, 1.0]),
        ([[0, 0, 320, 240]], "px", (640, 480), [[0.0, 0.0, 0.5, 0.5]]),  # a box is two points
        ([100, 200, 300, 400], "1000", None, [0.1, 0.2, 0.3, 0.4]),
        (np.zeros((0, 2)), "px", (4, 4), np.zeros((0, 2))),  # empty stays empty and shaped
        (np.ones((2, 3, 2)), "px", (2.0, 4.0), np.tile([0.5, 0.25], (2, 3, 1))),
    ],
)
def test_to_norm_table(values, space, resolution_wh, expected):
    out = to_norm(values, space, resolution_wh)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, np.asarray(expected, dtype=float))
    np.testing.assert_allclose(from_norm(out, space, resolution_wh), np.asarray(values, dtype=float))


@pytest.mark.parametrize(
    ("resolution_wh", "match"),
    [
        (None, "needs resolution_wh"),
        ((0, 100), "positive"),
        ((100, -1), "positive"),
        ((float("nan"), 100), "finite"),
        ((float("inf"), 100), "finite"),
        ((100,), "two numbers"),
        ((1, 2, 3), "two numbers"),
        ("ab", "two numbers"),
        (5, "two numbers"),
    ],
)
def test_pixels_need_valid_resolution(resolution_wh, match):
    with pytest.raises(GeometryError, match=match):
        to_norm([1, 2], "px", resolution_wh)
    with pytest.raises(GeometryError, match=match):
        from_norm([0.1, 0.2], CoordSpace.PIXELS, resolution_wh)


@pytest.mark.parametrize("values", [0.5, [0.1, 0.2, 0.3], np.zeros((2, 3)), [["a", "b"]], [[0.1, 0.2], [0.3]]])
def test_bad_shapes(values):
    with pytest.raises(GeometryError):
        to_norm(values, "norm")


@pytest.mark.parametrize(
    ("name", "expected"), [("norm", CoordSpace.NORM), ("1000", CoordSpace.THOUSAND), ("px", CoordSpace.PIXELS)]
)
def test_coerce_space(name, expected):
    assert coerce_space(name) is expected
    assert coerce_space(expected) is expected


@pytest.mark.parametrize("bad", ["", "pixels", "NORM", 1000, None])
def test_coerce_space_rejects(bad):
    with pytest.raises(ValueError, match="unknown coordinate space"):
        coerce_space(bad)


def test_scale():
    assert space_scale_xy("norm") == (1.0, 1.0)
    assert space_scale_xy("1000") == (1000.0, 1000.0)
    assert space_scale_xy("px", (640, 480)) == (640.0, 480.0)


@given(
    st.lists(st.floats(0, 1), min_size=2, max_size=40).filter(lambda v: len(v) % 2 == 0),
    st.sampled_from(["norm", "1000", "px"]),
    st.tuples(st.integers(1, 8000), st.integers(1, 8000)),
)
def test_round_trip_property(flat, space, resolution_wh):
    xy_norm = np.asarray(flat).reshape(-1, 2)
    back = to_norm(from_norm(xy_norm, space, resolution_wh), space, resolution_wh)
    np.testing.assert_allclose(back, xy_norm, atol=1e-12)
