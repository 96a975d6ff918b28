"""Tests of overlay drawing: filled polygons, holes, boxes, points, the click target, PNG output, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.errors import GeometryError, ImageError
from simpleseg_agent.overlay import draw_overlay, save_overlay, to_rgb_array

W, H = 200, 100
GRAY = 90
SQUARE = np.array([[0.2, 0.2], [0.6, 0.2], [0.6, 0.8], [0.2, 0.8]])  # pixels x 40..120, y 20..80
GREEN = (0, 255, 0)


def _canvas() -> np.ndarray:
    return np.full((H, W, 3), GRAY, np.uint8)


def _px(img: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    return img.getpixel((x, y))  # type: ignore[return-value]


@pytest.mark.parametrize(
    "image_factory",
    [
        lambda tmp: _canvas(),
        lambda tmp: np.full((H, W), GRAY, np.uint8),  # grayscale array
        lambda tmp: Image.fromarray(_canvas()),
        lambda tmp: Image.fromarray(_canvas()).convert("L"),
        lambda tmp: Image.fromarray(_canvas()).convert("RGBA"),
        lambda tmp: _saved(tmp / "in.png"),
        lambda tmp: str(_saved(tmp / "in.jpg")),
    ],
    ids=["rgb-array", "gray-array", "pil-rgb", "pil-L", "pil-rgba", "path", "str-path-jpeg"],
)
def test_polygon_fill_changes_inside_only(tmp_path: Path, image_factory) -> None:
    out = draw_overlay(image_factory(tmp_path), polygons_xy_norm=[SQUARE], color=GREEN, alpha=0.5)
    assert out.mode == "RGB" and out.size == (W, H)
    r, g, b = _px(out, 80, 50)  # centre of the square
    assert g > GRAY + 50 and r < GRAY - 20  # half-way to green
    far = _px(out, 180, 10)
    assert all(abs(c - GRAY) <= 2 for c in far)  # jpeg may move it by a level or two


def _saved(path: Path) -> Path:
    Image.fromarray(_canvas()).save(path)
    return path


def test_input_is_not_modified_and_alpha_extremes() -> None:
    rgb = _canvas()
    draw_overlay(rgb, polygons_xy_norm=[SQUARE], color=GREEN)
    assert (rgb == GRAY).all()
    none = draw_overlay(rgb, polygons_xy_norm=[SQUARE], color=GREEN, alpha=0.0)
    assert _px(none, 80, 50) == (GRAY, GRAY, GRAY)
    full = draw_overlay(rgb, polygons_xy_norm=[SQUARE], color=GREEN, alpha=1.0)
    assert _px(full, 80, 50) == GREEN


def test_fill_follows_the_normalized_pixel_edge_convention() -> None:
    out = np.asarray(draw_overlay(_canvas(), polygons_xy_norm=[SQUARE], color=GREEN, alpha=1.0))
    # Edge x = 0.2 * 200 = 40 px: column 40 inside, column 38 outside (outline is 1 px, anti-aliased).
    assert tuple(out[50, 41]) == GREEN and tuple(out[50, 37]) == (GRAY,) * 3
    assert tuple(out[50, 118]) == GREEN and tuple(out[50, 122]) == (GRAY,) * 3


def test_parts_are_united_and_holes_cut_out() -> None:
    left = np.array([[0.05, 0.1], [0.45, 0.1], [0.45, 0.9], [0.05, 0.9]])
    overlapping = np.array([[0.3, 0.1], [0.7, 0.1], [0.7, 0.9], [0.3, 0.9]])
    hole = np.array([[0.55, 0.3], [0.65, 0.3], [0.65, 0.7], [0.55, 0.7]])
    out = draw_overlay(_canvas(), polygons_xy_norm=[left, overlapping], holes_xy_norm=[hole], color=GREEN, alpha=1.0)
    assert _px(out, 75, 50) == GREEN  # the overlap stays filled (union, not XOR)
    assert _px(out, 20, 50) == GREEN
    assert _px(out, 120, 50) == (GRAY,) * 3  # inside the hole


def test_single_2d_array_is_one_polygon_and_3d_array_many() -> None:
    a = draw_overlay(_canvas(), polygons_xy_norm=SQUARE, color=GREEN)
    b = draw_overlay(_canvas(), polygons_xy_norm=SQUARE[None], color=GREEN)
    c = draw_overlay(_canvas(), polygons_xy_norm=[SQUARE.tolist()], color=GREEN)
    assert np.array_equal(np.asarray(a), np.asarray(b)) and np.array_equal(np.asarray(a), np.asarray(c))


def test_crosshair_at_click_location() -> None:
    out = np.asarray(draw_overlay(_canvas(), click_xy_norm=(0.75, 0.5), color=(255, 0, 0)))
    cx, cy = 150, 50  # 0.75 * 200, 0.5 * 100: the edge between pixels 149 and 150
    changed = np.any(out != GRAY, axis=2)
    for dx in (-6, -3, 3, 6):  # horizontal arm
        assert changed[cy, cx + dx] or changed[cy - 1, cx + dx]
    for dy in (-6, -3, 3, 6):  # vertical arm
        assert changed[cy + dy, cx] or changed[cy + dy, cx - 1]
    assert changed[cy - 1 : cy + 1, cx - 1 : cx + 1].all()  # through the target itself
    ys, xs = np.nonzero(changed)
    assert abs(xs.mean() - (cx - 0.5)) < 1.0 and abs(ys.mean() - (cy - 0.5)) < 1.0  # centred there
    assert not changed[:, :120].any() and not changed[:, 180:].any()  # nothing elsewhere
    reds = out[changed]
    assert ((reds[:, 0] > 200) & (reds[:, 1] < 60)).any()  # in the requested colour


def test_boxes_points_and_label_draw_something_where_expected() -> None:
    out = np.asarray(
        draw_overlay(
            _canvas(),
            boxes_xyxy_norm=[[0.1, 0.2, 0.4, 0.8]],
            points_xy_norm=np.array([[0.8, 0.5]]),
            label="the cup ü 中",
            color=(255, 0, 0),
        )
    )
    changed = np.any(out != GRAY, axis=2)
    assert changed[50, 20] or changed[50, 19]  # left side of the box at x = 20 px
    assert not changed[50, 50]  # box interior is not filled
    assert changed[50, 160] or changed[49, 159]  # the dot
    assert changed[5:20, 20:60].any()  # the label above the box


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"polygons_xy_norm": []},
        {"polygons_xy_norm": [np.zeros((0, 2))]},  # empty part: skipped
        {"polygons_xy_norm": None, "holes_xy_norm": None},
        {"boxes_xyxy_norm": np.zeros((0, 4)), "points_xy_norm": []},
        {"label": ""},
    ],
)
def test_nothing_to_draw_returns_a_copy(kwargs: dict) -> None:
    out = draw_overlay(_canvas(), **kwargs)
    assert np.array_equal(np.asarray(out), _canvas())


@pytest.mark.parametrize(
    "polygon",
    [np.array([[0.5, 0.5]]), np.array([[0.1, 0.1], [0.9, 0.9]])],
    ids=["one-vertex", "two-vertices"],
)
def test_degenerate_parts_are_outlined_not_refused(polygon: np.ndarray) -> None:
    out = draw_overlay(_canvas(), polygons_xy_norm=[polygon], color=GREEN)
    assert np.any(np.asarray(out) != GRAY)


def test_slightly_outside_coordinates_are_clipped() -> None:
    beyond = np.array([[-0.1, -0.1], [1.1, -0.1], [1.1, 1.1], [-0.1, 1.1]])
    out = draw_overlay(_canvas(), polygons_xy_norm=[beyond], color=GREEN, alpha=1.0)
    assert _px(out, 0, 0) == GREEN and _px(out, W - 1, H - 1) == GREEN


NAN = float("nan")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"polygons_xy_norm": [np.array([[0.1, NAN], [0.2, 0.2], [0.3, 0.1]])]}, "finite"),
        ({"polygons_xy_norm": [np.array([[0.1, 0.1], [0.2, float("inf")], [0.3, 0.1]])]}, "finite"),
        ({"holes_xy_norm": [[[NAN, NAN], [0.2, 0.2], [0.3, 0.3]]]}, "finite"),
        ({"boxes_xyxy_norm": [[0.1, 0.1, NAN, 0.5]]}, "finite"),
        ({"points_xy_norm": [[NAN, 0.5]]}, "finite"),
        ({"click_xy_norm": (NAN, 0.5)}, "finite"),
        ({"polygons_xy_norm": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]}, r"shape \(N, 2\)"),  # one ring, not wrapped
        ({"polygons_xy_norm": [np.zeros((4, 3))]}, r"shape \(N, 2\)"),
        ({"polygons_xy_norm": [[[0.1, 0.1], [0.2]]]}, "expected an"),  # ragged
        ({"polygons_xy_norm": "abc"}, "sequence"),
        ({"polygons_xy_norm": 5}, "sequence"),
        ({"polygons_xy_norm": [[["a", "b"], ["c", "d"]]]}, "numbers"),
        ({"polygons_xy_norm": [np.array([[100, 50], [300, 50], [300, 200]])]}, "pixel or 0-1000"),
        ({"boxes_xyxy_norm": [[0.5, 0.1, 0.2, 0.4]]}, "x1 <= x2"),
        ({"boxes_xyxy_norm": [[0.1, 0.2, 0.3]]}, r"shape \(N, 4\)"),
        ({"click_xy_norm": (0.1, 0.2, 0.3)}, r"shape \(N, 2\)"),
        ({"click_xy_norm": [(0.1, 0.2), (0.3, 0.4)]}, "one"),
        ({"click_xy_norm": "center"}, "numbers"),
    ],
)
def test_bad_geometry_raises_geometry_error(kwargs: dict, match: str) -> None:
    with pytest.raises(GeometryError, match=match):
        draw_overlay(_canvas(), **kwargs)


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((H, W, 3), np.float32), "uint8"),
        (np.zeros((H, W, 3), bool), "uint8"),
        (np.zeros((H, W, 1), np.uint8), r"\(H, W, 3\)"),
        (np.zeros((2, H, W, 3), np.uint8), r"\(H, W, 3\)"),
        (np.zeros((0, W, 3), np.uint8), "non-empty"),
        (np.zeros(5, np.uint8), r"\(H, W, 3\)"),
        (None, "expected a path"),
        (b"\x89PNG", "cannot read image from 4 bytes"),
        ([[0, 0], [0, 0]], "expected a path"),
    ],
)
def test_bad_image_raises_image_error(image: object, match: str) -> None:
    with pytest.raises(ImageError, match=match):
        draw_overlay(image)  # type: ignore[arg-type]


def test_unreadable_paths_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not an image at all")
    truncated = tmp_path / "truncated.png"
    _saved(truncated)
    truncated.write_bytes(truncated.read_bytes()[:60])
    for path in (missing, garbage, truncated, tmp_path):
        with pytest.raises(ImageError, match="cannot read image file") as info:
            draw_overlay(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"color": (256, 0, 0)}, "color"),
        ({"color": (-1, 0, 0)}, "color"),
        ({"color": (1.5, 0, 0)}, "color"),
        ({"color": (True, 0, 0)}, "color"),
        ({"color": (0, 0)}, "color"),
        ({"color": "red"}, "color"),
        ({"color": None}, "color"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"alpha": NAN}, "alpha"),
        ({"alpha": "0.5"}, "alpha"),
    ],
)
def test_bad_style_raises_image_error(kwargs: dict, match: str) -> None:
    with pytest.raises(ImageError, match=match):
        draw_overlay(_canvas(), **kwargs)


def test_save_overlay_writes_png_with_input_size(tmp_path: Path) -> None:
    out_path = tmp_path / "deep" / "er" / "overlay.png"
    returned = save_overlay(_canvas(), out_path, polygons_xy_norm=[SQUARE], click_xy_norm=(0.4, 0.5), color=GREEN)
    assert returned == out_path and out_path.is_file()
    with Image.open(out_path) as im:
        assert im.format == "PNG" and im.size == (W, H) and im.mode == "RGB"
        assert im.getpixel((100, 30))[1] > GRAY
    assert [p.name for p in out_path.parent.iterdir()] == ["overlay.png"]  # no temporary left over


def test_overlays_compose_across_calls(tmp_path: Path) -> None:
    first = draw_overlay(_canvas(), polygons_xy_norm=[SQUARE], color=GREEN, alpha=1.0)
    other = np.array([[0.7, 0.2], [0.9, 0.2], [0.9, 0.8], [0.7, 0.8]])
    both = draw_overlay(first, polygons_xy_norm=[other], color=(0, 0, 255), alpha=1.0)
    assert _px(both, 80, 50) == GREEN and _px(both, 160, 50) == (0, 0, 255)


@pytest.mark.parametrize(
    ("name", "match"),
    [("overlay.jpg", r"\.png"), ("overlay", r"\.png")],
)
def test_save_overlay_rejects_non_png_names(tmp_path: Path, name: str, match: str) -> None:
    with pytest.raises(ImageError, match=match):
        save_overlay(_canvas(), tmp_path / name)


def test_save_overlay_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ImageError, match="cannot write overlay PNG"):
        save_overlay(_canvas(), blocker / "sub" / "o.png")


def test_to_rgb_array_shapes() -> None:
    assert to_rgb_array(np.zeros((3, 4), np.uint8)).shape == (3, 4, 3)
    arr = _canvas()[:, ::2]  # non-contiguous view
    out = to_rgb_array(arr)
    assert out.flags.c_contiguous and out.shape == (H, W // 2, 3) and out is not arr
