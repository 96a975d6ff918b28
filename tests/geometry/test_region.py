"""The Region type: construction, vertex order, measures, adapters."""

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.geometry import (
    Part,
    Region,
    region_from_coco,
    region_from_rle,
    region_from_shapely,
    region_to_coco,
    region_to_mask,
    region_to_rle,
    region_to_shapely,
    signed_area2,
)

SQUARE = [[0.2, 0.2], [0.6, 0.2], [0.6, 0.6], [0.2, 0.6]]


@pytest.mark.parametrize(
    "polygons, message",
    [
        ([[[0, 0], [1, 1]]], "at least 3"),
        ([[[0, 0], [1, 1], [np.nan, 0]]], "NaN"),
        ([[[0, 0], [1, 1], [np.inf, 0]]], "NaN or infinite"),
        ([[[0, 0, 0], [1, 1, 1], [1, 0, 0]]], r"\(N, 2\)"),
        ([[["a", "b"], [1, 1], [1, 0]]], "numbers"),
        ([[]], r"\(N, 2\)"),
    ],
)
def test_invalid_polygons_raise(polygons, message):
    with pytest.raises(GeometryError, match=message):
        Region.from_polygons(polygons)


def test_region_is_immutable():
    r = Region.from_polygons([SQUARE])
    with pytest.raises(ValueError):
        r.polygons[0][0, 0] = 5.0


@pytest.mark.parametrize(
    "ring",
    [
        SQUARE,
        SQUARE[::-1],
        SQUARE[2:] + SQUARE[:2],
        SQUARE + [SQUARE[0]],  # closing duplicate
        [SQUARE[0], SQUARE[0], *SQUARE[1:]],  # repeated vertex
    ],
)
def test_canonical_order_is_clockwise_on_screen_from_top_left(ring):
    out = Region.from_polygons([ring]).canonical().polygons[0]
    assert out.tolist() == SQUARE  # top-left first, then right along the top: clockwise with y down
    assert signed_area2(out) > 0


def test_canonical_holes_run_the_other_way():
    hole = [[0.3, 0.3], [0.4, 0.3], [0.4, 0.4], [0.3, 0.4]]  # clockwise as given
    r = Region([Part(SQUARE, (hole,))]).canonical()
    assert signed_area2(r.parts[0].holes[0]) < 0
    assert r.parts[0].holes[0][0].tolist() == [0.3, 0.3]


def test_measures():
    r = Region([Part(SQUARE, ([[0.3, 0.3], [0.4, 0.3], [0.4, 0.4], [0.3, 0.4]],))])
    assert r.area == pytest.approx(0.16 - 0.01)
    assert r.area_px((100, 50)) == pytest.approx(0.15 * 5000)
    assert r.xyxy.tolist() == [0.2, 0.2, 0.6, 0.6]
    np.testing.assert_allclose(r.centroid, [(0.4 * 0.16 - 0.35 * 0.01) / 0.15] * 2)


def test_centroid_of_l_shape_is_outside_it():
    l_shape = [[0, 0], [1, 0], [1, 0.2], [0.2, 0.2], [0.2, 1], [0, 1]]
    c = Region.from_polygons([l_shape]).centroid
    expected = (0.2 * 0.5 + 0.16 * 0.1) / 0.36  # the bar along the top plus the rest of the left bar
    np.testing.assert_allclose(c, [expected, expected])
    assert c.min() > 0.2  # in the L's bend: not on the material


@pytest.mark.parametrize("attr", ["xyxy", "centroid"])
def test_empty_region_has_no_box_or_centroid(attr):
    with pytest.raises(GeometryError, match="empty"):
        getattr(Region.empty(), attr)


def test_pixel_round_trip():
    r = Region.from_polygons([SQUARE])
    back = Region.from_px(r.polygons_px((640, 480)), (640, 480))
    assert back.allclose(r)


@pytest.mark.parametrize("resolution", [(0, 10), (10, -5), (np.nan, 3), "x", None])
def test_bad_resolution(resolution):
    with pytest.raises(GeometryError, match="resolution_wh"):
        Region.from_polygons([SQUARE]).to_px(resolution)


def test_shapely_round_trip_keeps_holes():
    r = Region([Part(SQUARE, ([[0.3, 0.3], [0.3, 0.4], [0.4, 0.4], [0.4, 0.3]],))]).canonical()
    g = region_to_shapely(r)
    assert g.area == pytest.approx(r.area)
    assert region_from_shapely(g).allclose(r)


def test_repair_of_a_bowtie():
    bowtie = [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    fixed = Region.from_polygons([bowtie]).repaired()
    assert len(fixed.parts) == 2
    assert fixed.area == pytest.approx(0.5)
    assert region_to_shapely(fixed).is_valid


def test_clipped_to_the_image():
    r = Region.from_polygons([[[-0.5, 0.0], [0.5, 0.0], [0.5, 1.0], [-0.5, 1.0]]]).clipped()
    assert r.xyxy.tolist() == [0.0, 0.0, 0.5, 1.0]


def test_coco_polygons_round_trip():
    r = Region.from_polygons([SQUARE, [[0.7, 0.7], [0.9, 0.7], [0.8, 0.9]]])
    segm = region_to_coco(r, (200, 100))
    assert segm[0] == [40.0, 20.0, 120.0, 20.0, 120.0, 60.0, 40.0, 60.0]
    assert region_from_coco(segm, (200, 100)).allclose(r)


def test_coco_polygons_refuse_to_drop_holes_silently():
    r = Region([Part(SQUARE, ([[0.3, 0.3], [0.4, 0.3], [0.4, 0.4]],))])
    with pytest.raises(GeometryError, match="holes"):
        region_to_coco(r, (10, 10))
    assert len(region_to_coco(r, (10, 10), drop_holes=True)) == 1


@pytest.mark.parametrize("segm", [[[1, 2, 3, 4]], [[1, 2, 3, 4, 5]], [[[1, 2], [3, 4]]]])
def test_bad_coco_polygons(segm):
    with pytest.raises(GeometryError):
        region_from_coco(segm, (10, 10))


def test_rle_round_trip_with_pycocotools():
    r = Region([Part(SQUARE, ([[0.3, 0.3], [0.4, 0.3], [0.4, 0.4], [0.3, 0.4]],))])
    rle = region_to_rle(r, (100, 100))
    decoded = mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()}).astype(bool)
    np.testing.assert_array_equal(decoded, region_to_mask(r, (100, 100)))
    back = region_from_rle(rle, holes=True)
    np.testing.assert_array_equal(region_to_mask(back, (100, 100)), decoded)
    assert back.has_holes


def test_uncompressed_rle_and_missing_keys():
    m = np.zeros((20, 30), np.uint8)
    m[5:10, 5:20] = 1
    counts = []  # column-major run lengths starting with zeros
    flat = m.T.ravel()
    value, run = 0, 0
    for v in flat:
        if v == value:
            run += 1
        else:
            counts.append(run)
            value, run = v, 1
    counts.append(run)
    r = region_from_rle({"size": [20, 30], "counts": counts})
    np.testing.assert_array_equal(region_to_mask(r, (30, 20)), m.astype(bool))
    with pytest.raises(GeometryError, match="size"):
        region_from_rle({"counts": counts})
