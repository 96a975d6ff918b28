"""Mask -> polygons: exactness, options, token budget, and the round-trip bound on random shapes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.geometry import mask_iou, mask_to_region, region_to_mask, signed_area2

from .shapes import blob_mask


def rect_mask(h=40, w=40, box=(5, 10, 25, 30)):
    m = np.zeros((h, w), bool)
    x1, y1, x2, y2 = box
    m[y1:y2, x1:x2] = True
    return m


def test_rectangle_is_traced_on_its_pixel_edges():
    r = mask_to_region(rect_mask())
    assert r.polygons[0].tolist() == [[0.125, 0.25], [0.625, 0.25], [0.625, 0.75], [0.125, 0.75]]
    assert mask_iou(region_to_mask(r, (40, 40)), rect_mask()) == 1.0


def test_reference_outline_uses_pixel_indices():
    r = mask_to_region(rect_mask(), outline="reference")
    assert r.polygons[0].tolist() == [[0.125, 0.25], [0.6, 0.25], [0.6, 0.725], [0.125, 0.725]]


def test_output_is_canonical():
    rng = np.random.default_rng(3)
    for _ in range(10):
        r = mask_to_region(blob_mask(rng))
        for ring in r.polygons:
            assert signed_area2(ring) > 0
            top = np.lexsort((ring[:, 0], ring[:, 1]))[0]
            assert top == 0


def test_empty_mask_gives_empty_region():
    assert mask_to_region(np.zeros((10, 10), bool)).is_empty


@pytest.mark.parametrize(
    "mask, message",
    [
        (np.zeros((2, 3, 3), bool), "2-D"),
        (np.zeros((0, 5), bool), "no pixels"),
        (np.array([[0, 2], [1, 0]]), "0/1"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_bad_masks(mask, message):
    with pytest.raises(GeometryError, match=message):
        mask_to_region(mask)


@pytest.mark.parametrize("kwargs", [{"epsilon_frac": -1}, {"epsilon_px": float("nan")}, {"max_parts": 0}, {"outline": "pixel"}])
def test_bad_options(kwargs):
    with pytest.raises(GeometryError):
        mask_to_region(rect_mask(), **kwargs)


def test_uint8_255_masks_are_accepted():
    assert not mask_to_region(rect_mask().astype(np.uint8) * 255).is_empty


def ring_mask():
    yy, xx = np.mgrid[:60, :60]
    d = np.hypot(xx - 30, yy - 30)
    return (d < 25) & (d >= 12)


def test_holes_option():
    m = ring_mask()
    without = mask_to_region(m, epsilon_frac=0)
    with_holes = mask_to_region(m, epsilon_frac=0, holes=True)
    assert not without.has_holes and with_holes.has_holes
    assert mask_iou(region_to_mask(with_holes, (60, 60)), m) == 1.0
    assert mask_iou(region_to_mask(without, (60, 60)), m) < 0.85


def test_min_area_and_max_parts():
    m = np.zeros((50, 50), bool)
    m[2:4, 2:4] = True  # 4 px
    m[10:20, 10:20] = True  # 100 px
    m[30:45, 30:45] = True  # 225 px
    assert len(mask_to_region(m).parts) == 3
    assert len(mask_to_region(m, min_area_px=10).parts) == 2
    r = mask_to_region(m, max_parts=1)
    assert len(r.parts) == 1 and r.xyxy.tolist() == [0.6, 0.6, 0.9, 0.9]


@pytest.mark.parametrize("outline", ["edge", "reference"])
def test_single_pixels_and_thin_lines_survive(outline):
    m = np.zeros((20, 20), bool)
    m[3, 3] = True
    m[10, 2:15] = True
    r = mask_to_region(m, outline=outline)
    assert len(r.parts) == 2
    if outline == "edge":
        assert mask_iou(region_to_mask(r, (20, 20)), m) == 1.0


def test_fixed_epsilon_in_pixels_simplifies_more():
    m = ring_mask()
    fine = mask_to_region(m, epsilon_frac=0)
    coarse = mask_to_region(m, epsilon_px=3.0)
    assert coarse.n_vertices < fine.n_vertices


class CharCounter:
    """A named test tokenizer: one token per character (exact and predictable)."""

    def count(self, text: str) -> int:
        return len(text)


@pytest.mark.parametrize("budget", [60, 120, 400, 2000])
def test_token_budget_is_respected_and_used(budget):
    from simpleseg_agent.grammar import format_polygons

    m = ring_mask()
    r = mask_to_region(m, token_budget=budget, token_counter=CharCounter())
    text = format_polygons(r.polygons)
    assert len(text) <= budget
    looser = mask_to_region(m, token_budget=budget * 2, token_counter=CharCounter())
    assert looser.n_vertices >= r.n_vertices


def test_token_budget_with_the_real_qwen_tokenizer():
    from simpleseg_agent.grammar import QwenTokenCounter, format_polygons

    counter = QwenTokenCounter()
    m = blob_mask(np.random.default_rng(5), 320, 240)
    for budget in (64, 200):
        r = mask_to_region(m, token_budget=budget, token_counter=counter)
        assert counter.count(format_polygons(r.polygons)) <= budget


def test_budget_drops_small_parts_before_giving_up_and_then_raises():
    m = np.zeros((50, 50), bool)
    m[2:6, 2:6] = True
    m[10:40, 10:40] = True
    r = mask_to_region(m, token_budget=60, token_counter=CharCounter())
    assert len(r.parts) == 1
    with pytest.raises(GeometryError, match="too small"):
        mask_to_region(m, token_budget=10, token_counter=CharCounter())


# derandomized: the same 40 shapes on every run, so CI cannot fail on a shape it drew by chance. Random
# draws found the case below (about 1 shape in 750; fixed, and kept as its own test).
@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4))
def test_round_trip_iou_bound_on_random_shapes(seed, n):
    """mask -> polygons -> mask: IoU >= 0.995 with no simplification, >= 0.95 at the reference epsilon.

    Not exactly 1 at epsilon 0: a diagonal step of the traced border becomes a bevel that can cut
    a corner pixel (seen: 1 pixel of 520 on a shape touching the image border). Blobs can enclose
    background (seed 1194, n 4: a 166-pixel hole): the exact bound holds with ``holes=True``; the
    reference's default keeps outer rings only, so its round trip covers the mask and fills the holes.
    """
    m = blob_mask(np.random.default_rng(seed), 160, 120, n)
    exact = mask_to_region(m, epsilon_frac=0, holes=True)
    assert mask_iou(region_to_mask(exact, (160, 120)), m) >= 0.995
    outer = region_to_mask(mask_to_region(m, epsilon_frac=0), (160, 120))  # the reference: holes filled
    assert (m & ~outer).sum() <= max(2, m.sum() // 500)  # nothing of the mask is lost but bevelled corners
    ref = mask_to_region(m)
    assert mask_iou(region_to_mask(ref, (160, 120)), outer) >= 0.95


def test_a_blob_along_the_top_border_keeps_its_top_row():
    """A blob whose top row runs along the image border past the row below: the trace goes out along that
    row and back, and growing the trace as one ring lost the row (19 of its 252 pixels)."""
    m = blob_mask(np.random.default_rng(814 * 7919 + 1), 160, 120, 1)
    exact = region_to_mask(mask_to_region(m, epsilon_frac=0, holes=True), (160, 120))
    assert (m & ~exact).sum() <= 2


def test_masks_touching_the_image_border_stay_on_the_image():
    """A mitred corner of a pixel on the bottom row poked past the edge: the photo's mask (camera < 80)
    gave a vertex at y = 1.001 and the answer could not be written."""
    from skimage.data import camera

    from simpleseg_agent.grammar import format_polygons

    m = camera() < 80
    assert m[-1].any()
    for kwargs in ({}, {"epsilon_frac": 0}, {"holes": True, "epsilon_frac": 0}):
        r = mask_to_region(m, **kwargs)
        coords = np.concatenate([ring for p in r.parts for ring in p.rings])
        assert coords.min() >= 0 and coords.max() <= 1
        format_polygons(r.polygons)
    exact = region_to_mask(mask_to_region(m, epsilon_frac=0, holes=True), (512, 512))
    assert mask_iou(exact, m) >= 0.999


def test_a_diagonal_touching_the_bottom_right_corner_stays_on_the_image():
    m = np.tri(30, 30, dtype=bool)[::-1]  # a staircase touching the bottom and the left edge
    m = m[:, ::-1] | np.eye(30, dtype=bool)
    r = mask_to_region(m, epsilon_frac=0, holes=True)
    coords = np.concatenate([ring for p in r.parts for ring in p.rings])
    assert coords.min() >= 0 and coords.max() <= 1
    assert mask_iou(region_to_mask(r, (30, 30)), m) >= 0.995


def _horse():
    from skimage.data import horse

    h = horse()
    return ~h if h[0, 0] else h.astype(bool)


def test_a_larger_budget_buys_a_more_faithful_answer_on_the_horse():
    """A fixed ladder of tolerances gave the same 366-token answer for budgets 388 and 500."""
    from simpleseg_agent.grammar import QwenTokenCounter, format_polygons

    counter = QwenTokenCounter()
    m = _horse()
    seen = []
    for budget in (200, 388, 500):
        r = mask_to_region(m, token_budget=budget, token_counter=counter)
        n = counter.count(format_polygons(r.polygons))
        assert budget - 20 <= n <= budget  # within about one vertex of the budget
        seen.append((n, mask_iou(region_to_mask(r, (m.shape[1], m.shape[0])), m)))
    assert seen[0][1] < seen[1][1] < seen[2][1]


def _disks(centres):
    yy, xx = np.mgrid[:480, :640]
    return np.any([np.hypot(xx - cx, yy - cy) < r for cx, cy, r in centres], axis=0)


@pytest.mark.parametrize(("centres", "budget"), [([(320, 240, 180)], 100), ([(160, 240, 100), (480, 240, 100)], 200)])
def test_the_budget_is_spent(centres, budget):
    """A fixed ladder of tolerances answered a disk's budget of 100 with 58 tokens, two disks' 200 with 114."""
    from simpleseg_agent.grammar import QwenTokenCounter, format_polygons

    counter = QwenTokenCounter()
    r = mask_to_region(_disks(centres), token_budget=budget, token_counter=counter)
    assert budget - 20 <= counter.count(format_polygons(r.polygons)) <= budget
    assert len(r.parts) == len(centres)


@pytest.mark.parametrize("seed", [1, 2, 5, 8])
def test_a_budget_answer_is_at_least_as_faithful_as_the_reference_epsilon_at_its_tokens(seed):
    from simpleseg_agent.grammar import QwenTokenCounter, format_polygons

    counter = QwenTokenCounter()
    m = blob_mask(np.random.default_rng(seed), 320, 240, 3)
    ref = mask_to_region(m)
    n_ref = counter.count(format_polygons(ref.polygons))
    fit = mask_to_region(m, token_budget=n_ref, token_counter=counter)
    iou = lambda r: mask_iou(region_to_mask(r, (320, 240)), m)  # noqa: E731
    assert counter.count(format_polygons(fit.polygons)) <= n_ref
    assert iou(fit) >= iou(ref)


def test_a_budget_beyond_the_exact_outline_adds_no_vertices():
    """Vertices on straight lines change nothing: an exact outline stays as short as it can be."""
    from simpleseg_agent.grammar import QwenTokenCounter

    counter = QwenTokenCounter()
    m = blob_mask(np.random.default_rng(1), 640, 480, 3)
    exact = mask_to_region(m, token_budget=200, token_counter=counter)
    assert mask_iou(region_to_mask(exact, (640, 480)), m) == 1.0
    assert mask_to_region(m, token_budget=400, token_counter=counter).n_vertices == exact.n_vertices
