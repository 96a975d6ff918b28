"""Line charts of training curves (loss, reward, held-out IoU), drawn with Pillow alone.

Example:
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "loss.png")
    >>> line_chart({"train loss": ([0, 10, 20], [2.0, 1.0, 0.5])}, out, title="SFT", x_label="step").size
    (720, 420)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["line_chart", "log_series"]

_COLORS = [(37, 99, 235), (220, 38, 38), (22, 163, 74), (217, 119, 6), (124, 58, 237), (8, 145, 178)]


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.3g}"


def line_chart(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    out_png: str | Path,
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    y_range: tuple[float, float] | None = None,
    size_wh: tuple[int, int] = (720, 420),
) -> Image.Image:
    """Draw ``{name: (xs, ys)}`` as lines with markers, axes, ticks and a legend; save it to ``out_png``.

    Non-finite points are skipped. Returns the image.

    Example:
        >>> import tempfile, os
        >>> img = line_chart({"a": ([1, 2], [0.1, 0.9]), "b": ([1, 2], [0.5, float("nan")])},
        ...                  os.path.join(tempfile.mkdtemp(), "c.png"), y_range=(0, 1))
        >>> img.mode
        'RGB'
    """
    if not series:
        raise ValueError("line_chart needs at least one series")
    W, H = size_wh
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=13)
    except TypeError:  # Pillow < 10.1: the bitmap font
        font = ImageFont.load_default()
    left, right, top, bottom = 64, 20, 34 if title else 14, 46
    pts = [(float(x), float(y)) for xs, ys in series.values() for x, y in zip(xs, ys)
           if math.isfinite(float(x)) and math.isfinite(float(y))]
    if not pts:
        raise ValueError("line_chart: no finite point to draw")
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = y_range if y_range else (min(p[1] for p in pts), max(p[1] for p in pts))
    if x1 <= x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 <= y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = 0.0 if y_range else 0.05 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad

    def px(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x0) / (x1 - x0) * (W - left - right), H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom))

    for t in _nice_ticks(y0, y1):
        _, yy = px(x0, t)
        d.line([(left, yy), (W - right, yy)], fill=(230, 230, 230))
        d.text((left - 6, yy), _fmt(t), fill="black", font=font, anchor="rm")
    for t in _nice_ticks(x0, x1):
        xx, _ = px(t, y0)
        d.line([(xx, top), (xx, H - bottom)], fill=(240, 240, 240))
        d.text((xx, H - bottom + 6), _fmt(t), fill="black", font=font, anchor="mt")
    d.rectangle([left, top, W - right, H - bottom], outline="black")
    if title:
        d.text((W / 2, 10), title, fill="black", font=font, anchor="mt")
    if x_label:
        d.text(((left + W - right) / 2, H - 14), x_label, fill="black", font=font, anchor="mm")
    if y_label:
        d.text((8, top - 4), y_label, fill="black", font=font, anchor="ls")
    for i, (name, (xs, ys)) in enumerate(series.items()):
        color = _COLORS[i % len(_COLORS)]
        line = [px(float(x), float(y)) for x, y in zip(xs, ys) if math.isfinite(float(x)) and math.isfinite(float(y))]
        if len(line) > 1:
            d.line(line, fill=color, width=2)
        if len(line) <= 40:
            for cx, cy in line:
                d.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=color)
    # the legend: inside the plot's top-right corner, as wide as its longest name, on white
    names = list(series)
    text_w = max(d.textlength(n, font=font) for n in names)
    lx1 = W - right - 6
    lx0 = max(left + 6, lx1 - 8 - 20 - 5 - text_w - 8)
    d.rectangle([lx0, top + 4, lx1, top + 8 + 14 * len(names)], fill="white", outline=(200, 200, 200))
    for i, name in enumerate(names):
        ly = top + 12 + 14 * i
        d.line([(lx0 + 8, ly), (lx0 + 28, ly)], fill=_COLORS[i % len(_COLORS)], width=3)
        d.text((lx0 + 33, ly), name, fill="black", font=font, anchor="lm")
    Path(out_png).parent.mkdir(parents=True, exist_ok=True)
    img.save(out_png)
    return img


def log_series(log_history: Sequence[Mapping], key: str) -> tuple[list[float], list[float]]:
    """``(steps, values)`` of one logged quantity from a trainer's ``log_history``.

    Example:
        >>> log_series([{"step": 5, "loss": 2.0}, {"step": 10, "loss": "1.5"}, {"step": 10, "eval": 1}], "loss")
        ([5.0, 10.0], [2.0, 1.5])
    """
    xs, ys = [], []
    for h in log_history:
        if key in h and "step" in h:
            try:
                xs.append(float(h["step"]))
                ys.append(float(h[key]))
            except (TypeError, ValueError):
                continue
    return xs, ys
