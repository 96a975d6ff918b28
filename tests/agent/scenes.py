"""Window specs for the X tests: buttons of distinct colors at random, non-overlapping positions."""

from __future__ import annotations

import random

COLORS = {
    "red": (220, 38, 38), "green": (22, 163, 74), "blue": (37, 99, 235), "orange": (234, 88, 12),
    "purple": (147, 51, 234), "teal": (13, 148, 136), "pink": (219, 39, 119), "brown": (120, 72, 30),
}
BACKGROUND = "#eceff4"


def hex_color(rgb) -> str:
    return "#%02x%02x%02x" % tuple(rgb)


def phrases() -> dict[str, tuple[int, int, int]]:
    """Query phrase -> color, for the stand-in grounder."""
    return {f"the {name} button": rgb for name, rgb in COLORS.items()}


def random_buttons(seed: int, window_xywh, n: int = 5, names=None) -> dict:
    """A window spec with ``n`` colored buttons placed at random inside it, at least 12 px apart."""
    rng = random.Random(seed)
    x0, y0, w, h = window_xywh
    names = list(names or rng.sample(sorted(COLORS), n))
    placed: list[tuple[int, int, int, int]] = []
    widgets = []
    for name in names:
        for _ in range(1000):
            bw, bh = rng.randint(70, 180), rng.randint(26, 56)
            bx, by = rng.randint(20, w - bw - 20), rng.randint(20, h - bh - 20)
            if all(bx + bw + 12 < px or px + pw + 12 < bx or by + bh + 12 < py or py + ph + 12 < by for px, py, pw, ph in placed):
                break
        else:  # pragma: no cover - the windows are roomy
            raise RuntimeError("could not place the buttons")
        placed.append((bx, by, bw, bh))
        widgets.append({"name": name, "kind": "button", "text": name.title(), "xywh": [bx, by, bw, bh],
                        "bg": hex_color(COLORS[name]), "fg": "#ffffff"})
    return {"geometry": list(window_xywh), "bg": BACKGROUND, "widgets": widgets}


def inside(xy, xywh) -> bool:
    x, y = xy
    bx, by, bw, bh = xywh
    return bx <= x < bx + bw and by <= y < by + bh
