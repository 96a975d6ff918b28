"""The rasterizer and the IoU kernel against the reference decoder (pycocotools), pixel for pixel."""

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.geometry import HAVE_C_KERNEL, Region, region_iou_batch, region_to_mask
from simpleseg_agent.geometry.raster import parts_iou_batch, parts_to_mask

from .shapes import star_polygon

BACKENDS = ["numpy"] + (["c"] if HAVE_C_KERNEL else [])


def coco_mask(rings_px, w, h):
    rles = mask_utils.frPyObjects([r.ravel().tolist() for r in rings_px], h, w)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


def random_case(rng):
    w, h = int(rng.integers(3, 300)), int(rng.integers(3, 240))
    rings = [star_polygon(rng, int(rng.integers(3, 120)), w, h) for _ in range(int(rng.integers(1, 4)))]
    return w, h, rings


def test_c_kernel_is_built_here():
    # The project's install builds it; a missing kernel would silently make rewards 25x slower.
    assert HAVE_C_KERNEL


@pytest.mark.parametrize("seed", range(6))
def test_mask_equals_pycocotools(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        w, h, rings = random_case(rng)
        ours = parts_to_mask([[r] for r in rings], (w, h))
        assert ours.shape == (h, w)
        np.testing.assert_array_equal(ours, coco_mask(rings, w, h))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(4))
def test_overlap_equals_pycocotools(backend, seed):
    rng = np.random.default_rng(100 + seed)
    parts_a, parts_b, wh, expected = [], [], [], []
    for _ in range(60):
        w, h, ra = random_case(rng)
        rb = [star_polygon(rng, int(rng.integers(3, 120)), w, h) for _ in range(int(rng.integers(1, 3)))]
        ma, mb = coco_mask(ra, w, h), coco_mask(rb, w, h)
        expected.append(((ma & mb).sum(), ma.sum(), mb.sum()))
        parts_a.append([[r] for r in ra])
        parts_b.append([[r] for r in rb])
        wh.append((w, h))
    got = np.stack(parts_iou_batch(parts_a, parts_b, wh, backend=backend), 1)
    np.testing.assert_array_equal(got, np.array(expected, float))


@pytest.mark.parametrize("backend", BACKENDS)
def test_holes_are_cut_out(backend):
    outer = np.array([[0, 0], [20, 0], [20, 20], [0, 20]], float)
    hole = np.array([[5, 5], [5, 15], [15, 15], [15, 5]], float)
    full = [[outer]]
    holed = [[outer, hole]]
    inter, a, b = parts_iou_batch([holed], [full], (30, 30), backend=backend)
    assert (a[0], b[0], inter[0]) == (300.0, 400.0, 300.0)
    assert parts_to_mask(holed, (30, 30)).sum() == 300


def test_region_to_mask_matches_pycocotools_in_normalized_space():
    rng = np.random.default_rng(7)
    for _ in range(30):
        w, h, rings = random_case(rng)
        region = Region.from_px(rings, (w, h))
        np.testing.assert_array_equal(region_to_mask(region, (w, h)), coco_mask(rings, w, h))


def test_empty_batch_and_empty_regions():
    assert [len(v) for v in parts_iou_batch([], [], (10, 10))] == [0, 0, 0]
    iou = region_iou_batch([Region.empty(), Region.empty(), [[[0, 0], [1, 0], [1, 1]]]],
                           [Region.empty(), [[[0, 0], [1, 0], [1, 1]]], Region.empty()], (10, 10))
    assert iou.tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "ring, message",
    [
        ([[0, 0], [1, 1]], "N >= 3|at least 3"),
        ([[0, 0], [np.nan, 1], [1, 1]], "finite|NaN"),
        ([[0, 0], [np.inf, 1], [1, 1]], "finite|NaN|infinite"),
        ([[0, 0], [1e12, 1], [1, 1]], "1e8|1e\\+08|beyond"),
    ],
)
def test_hostile_rings_raise_geometry_error(backend, ring, message):
    good = [[np.array([[0, 0], [5, 0], [5, 5]], float)]]
    bad = [[np.asarray(ring, dtype=float)]]
    with pytest.raises(GeometryError, match=message):
        parts_iou_batch([good], [bad], (10, 10), backend=backend)


@pytest.mark.parametrize("resolution", [(0, 10), (10, -1), (5,), "640x480"])
def test_bad_resolution_raises(resolution):
    sq = [[np.array([[0, 0], [5, 0], [5, 5]], float)]]
    with pytest.raises(GeometryError):
        parts_iou_batch([sq], [sq], resolution)


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="backend"):
        parts_iou_batch([], [], (4, 4), backend="gpu")


@pytest.mark.parametrize("size", [(1_000_000, 1_000_000), (40_000, 10), (20_000, 20_000)])
def test_a_huge_mask_size_is_refused_before_allocating(size):
    """A mistyped size (1000000x1000000) asked numpy for terabytes; it must say the limit instead."""
    from simpleseg_agent.geometry import MAX_MASK_SIDE_PX

    r = Region.from_polygons([[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]])
    with pytest.raises(GeometryError, match=f"too large.*{MAX_MASK_SIDE_PX}"):
        region_to_mask(r, size)
    with pytest.raises(GeometryError, match="too large"):
        region_to_mask(Region.empty(), size)
    with pytest.raises(GeometryError, match="too large"):
        parts_to_mask([[np.array([[0, 0], [5, 0], [5, 5]], float)]], size)


def test_the_largest_allowed_thin_mask_is_rasterized():
    from simpleseg_agent.geometry import MAX_MASK_SIDE_PX

    r = Region.from_polygons([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]])
    assert region_to_mask(r, (MAX_MASK_SIDE_PX, 2)).sum() == 2 * MAX_MASK_SIDE_PX
