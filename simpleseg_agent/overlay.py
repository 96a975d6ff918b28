"""Draw what was found (polygons, boxes, points, a click target) onto the image, and save it as PNG.

One call draws one object in one color: every polygon part is filled with ``alpha`` and outlined,
boxes are rectangles, points are dots, the click target is a ring with a crosshair. Draw several
objects by passing the returned image back in with another color.

Coordinates are normalized to [0, 1] by the image width/height, with pixel edges at integers after
scaling: ``x_px = x_norm * W``, so pixel column ``c`` covers ``[c, c + 1)`` (the pycocotools
convention of the reference decoder). OpenCV puts pixel centres at integers, hence the ``- 0.5``
below. Shapes are drawn with sub-pixel precision (``shift``) and anti-aliased edges. Values a
little outside [0, 1] are clipped by the image; values far outside (``< -1`` or ``> 2``) are refused
because they are almost always pixel or 0-1000 coordinates passed as normalized ones.

Example:
    >>> import numpy as np
    >>> rgb = np.zeros((40, 60, 3), np.uint8)
    >>> square = np.array([[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]])
    >>> out = draw_overlay(rgb, polygons_xy_norm=[square], click_xy_norm=(0.5, 0.5), color=(0, 255, 0))
    >>> out.size, out.mode
    ((60, 40), 'RGB')
    >>> out.getpixel((20, 15))[1] > 0, out.getpixel((2, 2))
    (True, (0, 0, 0))
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .errors import GeometryError, ImageError
from .images import ImageInput, to_rgb_array

DEFAULT_COLOR: tuple[int, int, int] = (255, 64, 64)

_SHIFT = 4  # OpenCV fractional bits: coordinates to 1/16 pixel
_ONE = 1 << _SHIFT
_NORM_MIN, _NORM_MAX = -1.0, 2.0


def _check_color(color: Sequence[int]) -> tuple[int, int, int]:
    try:
        values = tuple(color)
    except TypeError:
        values = ()
    if len(values) != 3 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and 0 <= v <= 255 for v in values
    ):
        raise ImageError(f"color: expected an (R, G, B) tuple of ints in 0..255, got {color!r}")
    return (int(values[0]), int(values[1]), int(values[2]))


def _as_norm_array(values: Any, width: int, name: str) -> np.ndarray:
    """``values`` as a float64 ``(N, width)`` array of finite, roughly normalized numbers."""
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise GeometryError(f"{name}: expected an (N, {width}) array of numbers, got {values!r}") from exc
    if arr.size == 0:
        return np.zeros((0, width), np.float64)
    if arr.dtype.kind not in "iuf":
        raise GeometryError(f"{name}: expected numbers, got dtype {arr.dtype}: {values!r}")
    if arr.ndim != 2 or arr.shape[1] != width:
        raise GeometryError(f"{name}: expected shape (N, {width}), got {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise GeometryError(f"{name}: expected finite coordinates, got NaN or infinity")
    if arr.min() < _NORM_MIN or arr.max() > _NORM_MAX:
        raise GeometryError(
            f"{name}: expected coordinates normalized to [0, 1] by the image size, got values in "
            f"[{arr.min():g}, {arr.max():g}] (pixel or 0-1000 coordinates? divide by the image size first)"
        )
    return arr


def _rings(polygons: Any, name: str) -> list[np.ndarray]:
    """A sequence of ``(N, 2)`` rings; a single 2-D array counts as one ring. Empty rings are skipped."""
    if polygons is None:
        return []
    if isinstance(polygons, np.ndarray) and polygons.ndim == 2:
        polygons = [polygons]
    if isinstance(polygons, (str, bytes)) or not hasattr(polygons, "__iter__"):
        raise GeometryError(f"{name}: expected a sequence of (N, 2) arrays, got {type(polygons).__name__}")
    rings = []
    for i, ring in enumerate(polygons):
        arr = _as_norm_array(ring, 2, f"{name}[{i}]")
        if len(arr):
            rings.append(arr)
    return rings


def _to_fixed(xy_norm: np.ndarray, w: int, h: int) -> np.ndarray:
    """Normalized ``(N, 2)`` -> int32 OpenCV coordinates with ``_SHIFT`` fractional bits."""
    px = (xy_norm * (w, h)) - 0.5
    return np.round(px * _ONE).astype(np.int32)


def _fixed_point(xy_norm: Sequence[float], w: int, h: int) -> tuple[int, int]:
    x, y = _to_fixed(np.asarray([xy_norm], np.float64), w, h)[0]
    return int(x), int(y)


def _blend_fill(rgb: np.ndarray, parts: list[np.ndarray], holes: list[np.ndarray], color: tuple, alpha: float) -> None:
    h, w = rgb.shape[:2]
    layer = np.zeros((h, w), np.uint8)
    for ring in parts:  # one call per part: the parts are united, not XOR-ed
        if len(ring) >= 3:
            cv2.fillPoly(layer, [_to_fixed(ring, w, h)], 255, cv2.LINE_AA, _SHIFT)
    for ring in holes:
        if len(ring) >= 3:
            cv2.fillPoly(layer, [_to_fixed(ring, w, h)], 0, cv2.LINE_AA, _SHIFT)
    ys, xs = np.nonzero(layer)
    if len(ys) == 0:
        return
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    a = layer[y0:y1, x0:x1, None].astype(np.float32) * (alpha / 255.0)
    patch = rgb[y0:y1, x0:x1].astype(np.float32)
    rgb[y0:y1, x0:x1] = np.round(patch * (1.0 - a) + np.asarray(color, np.float32) * a).astype(np.uint8)


def _draw_click(rgb: np.ndarray, xy_fixed: tuple[int, int], color: tuple, size: int, thickness: int) -> None:
    """A ring with a crosshair through the target; a white halo keeps it visible on any background."""
    cx, cy = xy_fixed
    arm, radius = size * _ONE, max(2, round(size * 0.55)) * _ONE
    for col, th in (((255, 255, 255), thickness + 2), (color, thickness)):
        cv2.circle(rgb, (cx, cy), radius, col, th, cv2.LINE_AA, _SHIFT)
        cv2.line(rgb, (cx - arm, cy), (cx + arm, cy), col, th, cv2.LINE_AA, _SHIFT)
        cv2.line(rgb, (cx, cy - arm), (cx, cy + arm), col, th, cv2.LINE_AA, _SHIFT)


def _draw_label(pil: Image.Image, text: str, anchor_px: tuple[float, float], color: tuple, font_px: int) -> None:
    draw = ImageDraw.Draw(pil)
    try:
        font: Any = ImageFont.load_default(size=font_px)
    except (TypeError, OSError):  # Pillow without FreeType: fixed bitmap font
        font = ImageFont.load_default()
    try:
        left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font)
    except UnicodeEncodeError:  # the bitmap font is latin-1 only
        text = text.encode("latin-1", "replace").decode("latin-1")
        left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font)
    pad = max(1, font_px // 6)
    tw, th = right - left + 2 * pad, bottom - top + 2 * pad
    x = int(min(max(anchor_px[0], 0), max(pil.width - tw, 0)))
    y = int(anchor_px[1] - th if anchor_px[1] - th >= 0 else max(anchor_px[1], 0))
    y = min(y, max(pil.height - th, 0))
    luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    ink = (0, 0, 0) if luminance > 140 else (255, 255, 255)
    draw.rectangle((x, y, x + tw - 1, y + th - 1), fill=tuple(color))
    draw.multiline_text((x + pad - left, y + pad - top), text, fill=ink, font=font)


def draw_overlay(
    image: ImageInput,
    *,
    polygons_xy_norm: Sequence[Any] | np.ndarray = (),
    holes_xy_norm: Sequence[Any] | None = (),
    boxes_xyxy_norm: Sequence[Sequence[float]] | np.ndarray = (),
    points_xy_norm: Sequence[Sequence[float]] | np.ndarray = (),
    click_xy_norm: Sequence[float] | None = None,
    label: str | None = None,
    color: Sequence[int] = DEFAULT_COLOR,
    alpha: float = 0.4,
) -> Image.Image:
    """A copy of ``image`` (RGB PIL image, same size) with one object drawn in ``color``.

    Args:
        image: path, PIL image, or uint8 numpy ``(H, W, 3)`` RGB / ``(H, W)`` gray array.
        polygons_xy_norm: the object's parts, each an ``(N, 2)`` array of normalized ``[x, y]``
            (one 2-D array is taken as one part). Parts are united, filled with ``alpha`` and
            outlined; parts with fewer than 3 vertices are only outlined, empty ones skipped.
        holes_xy_norm: ``(M, 2)`` rings cut out of the fill (and outlined).
        boxes_xyxy_norm: ``(K, 4)`` boxes ``[x1, y1, x2, y2]`` with ``x1 <= x2`` and ``y1 <= y2``.
        points_xy_norm: ``(K, 2)`` points, drawn as dots.
        click_xy_norm: ``(x, y)`` of a click target, drawn as a ring with a crosshair.
        label: caption drawn at the top-left of everything drawn (or of the image).
        color: ``(R, G, B)`` ints in 0..255.
        alpha: fill opacity in [0, 1].

    Raises:
        ImageError: unreadable file (the path is in the message), bad array shape or dtype, bad
            ``color`` or ``alpha``.
        GeometryError: NaN/infinite or wrongly shaped coordinates, reversed boxes, or coordinates
            far outside [0, 1].
    """
    rgb = to_rgb_array(image)
    h, w = rgb.shape[:2]
    color = _check_color(color)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 <= alpha <= 1.0:
        raise ImageError(f"alpha: expected a number in [0, 1], got {alpha!r}")

    parts = _rings(polygons_xy_norm, "polygons_xy_norm")
    holes = _rings(holes_xy_norm, "holes_xy_norm")
    boxes = _as_norm_array(boxes_xyxy_norm, 4, "boxes_xyxy_norm")
    if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]):
        raise GeometryError(f"boxes_xyxy_norm: expected x1 <= x2 and y1 <= y2 (corners, not width/height), got {boxes.tolist()}")
    points = _as_norm_array(points_xy_norm, 2, "points_xy_norm")
    click = None
    if click_xy_norm is not None:
        click = _as_norm_array([click_xy_norm] if np.ndim(click_xy_norm) == 1 else click_xy_norm, 2, "click_xy_norm")
        if click.shape != (1, 2):
            raise GeometryError(f"click_xy_norm: expected one (x, y) pair, got {click_xy_norm!r}")

    short = min(w, h)
    thickness = max(1, round(short / 320))
    _blend_fill(rgb, parts, holes, color, float(alpha))
    outlines = [_to_fixed(r, w, h) for r in parts + holes]
    if outlines:
        cv2.polylines(rgb, outlines, True, color, thickness, cv2.LINE_AA, _SHIFT)
    for x1, y1, x2, y2 in boxes:
        cv2.rectangle(rgb, _fixed_point((x1, y1), w, h), _fixed_point((x2, y2), w, h), color, thickness, cv2.LINE_AA, _SHIFT)
    radius = max(2, round(short / 160))
    for xy in points:
        centre = _fixed_point(xy, w, h)
        cv2.circle(rgb, centre, (radius + thickness) * _ONE, (255, 255, 255), -1, cv2.LINE_AA, _SHIFT)
        cv2.circle(rgb, centre, radius * _ONE, color, -1, cv2.LINE_AA, _SHIFT)
    if click is not None:
        _draw_click(rgb, _fixed_point(click[0], w, h), color, max(6, round(short / 25)), thickness)

    out = Image.fromarray(rgb)
    if label:
        # Top-left of everything drawn, in pixels, so the caption sits above the object, not on it.
        corners_px = [r * (w, h) for r in parts] + [boxes[:, :2] * (w, h), points * (w, h) - radius]
        if click is not None:
            corners_px.append(click * (w, h) - max(6, round(short / 25)))
        drawn_px = np.concatenate(corners_px)
        anchor = drawn_px.min(axis=0) if len(drawn_px) else np.zeros(2)
        _draw_label(out, str(label), (float(anchor[0]), float(anchor[1])), color, max(10, round(short / 40)))
    return out


def decision_caption(stage: str | None, words_matched: str | None = None, candidates: int | None = None) -> str:
    """One caption line saying how a tool decided: the stage that chose, the screen's words it matched and how
    many candidates it chose among (a tool result's ``stage``, ``words_matched``, ``candidates``); the parts a
    result leaves ``None`` are left out.

    Example:
        >>> decision_caption("words", "Submit", 1)
        "stage words; words 'Submit'; 1 candidate"
        >>> decision_caption("shortlist", "OK", 3)
        "stage shortlist; words 'OK'; 3 candidates"
        >>> decision_caption("answer")
        'stage answer'
    """
    parts = [f"stage {stage or 'none'}"]
    if words_matched is not None:
        parts.append(f"words {words_matched!r}")
    if candidates is not None:
        parts.append(f"{candidates} candidate{'' if candidates == 1 else 's'}")
    return "; ".join(parts)


def save_overlay(image: ImageInput, out_path: str | os.PathLike[str], **overlay_kwargs: Any) -> Path:
    """Draw with :func:`draw_overlay` (same keyword arguments) and write a PNG to ``out_path``.

    Parent folders are created; the file is written to a temporary name and then renamed, so a
    reader never sees half a file. ``out_path`` must end in ``.png``.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> p = save_overlay(np.zeros((8, 8), np.uint8), Path(d) / "a" / "b.png", points_xy_norm=[(0.5, 0.5)])
        >>> Image.open(p).format, p.name
        ('PNG', 'b.png')
    """
    path = Path(out_path)
    if path.suffix.lower() != ".png":
        raise ImageError(f"out_path: expected a file name ending in .png, got '{path}'")
    out = draw_overlay(image, **overlay_kwargs)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        out.save(tmp, format="PNG")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise ImageError(f"cannot write overlay PNG to '{path}': {exc}") from exc
    return path


__all__ = ["DEFAULT_COLOR", "ImageInput", "decision_caption", "draw_overlay", "save_overlay", "to_rgb_array"]
