"""Click targets land on the material, well away from the border, even where the centroid does not."""

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.geometry import Part, Region, click_target, mask_to_region, point_in_region


def test_u_shape_target_is_on_the_material():
    u = Region.from_polygons([[[0.1, 0.1], [0.3, 0.1], [0.3, 0.7], [0.7, 0.7], [0.7, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]])
    assert not point_in_region(u.centroid, u)  # why the centroid is not a click target
    t = click_target(u, (200, 200))
    assert point_in_region(t.xy_norm, u)
    assert t.clearance_px > 15  # the arms and the base are 40 px thick


def test_ring_with_hole_target_avoids_the_hole():
    yy, xx = np.mgrid[:100, :100]
    d = np.hypot(xx - 50, yy - 50)
    ring = mask_to_region((d < 40) & (d >= 20), holes=True)
    t = click_target(ring, (100, 100))
    r = np.hypot(t.xy_px[0] - 50, t.xy_px[1] - 50)
    assert 24 < r < 36 and t.clearance_px > 7


def test_the_largest_part_wins():
    r = Region.from_px([[[0, 0], [10, 0], [10, 10], [0, 10]], [[50, 50], [90, 50], [90, 90], [50, 90]]], (100, 100))
    t = click_target(r, (100, 100))
    assert t.part == 1 and t.xy_px == pytest.approx((70, 70), abs=0.5)
    assert t.xy_norm == pytest.approx((0.7, 0.7), abs=0.005)


def test_anisotropic_image_uses_pixels():
    # a region that is a square in pixels on a wide image: the target is its centre
    r = Region.from_px([[[0, 0], [100, 0], [100, 100], [0, 100]]], (400, 100))
    t = click_target(r, (400, 100))
    assert t.xy_px == pytest.approx((50, 50), abs=0.5)


@pytest.mark.parametrize(
    "region",
    [Region.empty(), Region([Part([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]])])],  # empty and zero-area
)
def test_no_target_in_empty_or_degenerate_regions(region):
    with pytest.raises(GeometryError):
        click_target(region, (100, 100))
