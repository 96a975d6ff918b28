"""Colour themes of synthetic GUI screens: light, dark and colourful, each jittered per screen."""

from __future__ import annotations

import numpy as np

from ...mockup.layout import RGB, Theme
from ._common import hsl_rgb

THEMES: tuple[str, ...] = ("light", "dark", "colorful")


def _grey(v: float) -> RGB:
    g = int(round(min(255.0, max(0.0, v))))
    return (g, g, g)


def _shade(rgb: RGB, delta: float) -> RGB:
    return tuple(int(min(255, max(0, c + delta))) for c in rgb)  # type: ignore[return-value]


def make_theme(name: str, rng: np.random.Generator) -> Theme:
    """A theme of kind ``name`` with colours drawn from ``rng``."""
    accent_h = float(rng.uniform(0, 360))
    radius = float(rng.choice([0.0, 0.15, 0.3, 0.45, 0.6]))
    round_icons = bool(rng.random() < 0.3)
    desktop = hsl_rgb(float(rng.uniform(0, 360)), float(rng.uniform(0.2, 0.6)), float(rng.uniform(0.25, 0.6)))
    if name == "light":
        w = float(rng.uniform(242, 255))
        accent = hsl_rgb(accent_h, float(rng.uniform(0.6, 0.85)), float(rng.uniform(0.38, 0.5)))
        return Theme(
            name, desktop, _grey(w), _grey(w - rng.uniform(12, 30)), _grey(rng.uniform(10, 50)),
            _grey(rng.uniform(15, 45)), _grey(rng.uniform(115, 150)), _grey(rng.uniform(165, 200)), _grey(255),
            accent, (255, 255, 255), _grey(w - rng.uniform(14, 28)), _grey(rng.uniform(15, 45)),
            hsl_rgb(float(rng.uniform(205, 230)), 0.8, 0.42), _grey(w - rng.uniform(5, 14)), _grey(w - rng.uniform(8, 20)),
            _grey(w - rng.uniform(30, 45)), _grey(rng.uniform(170, 200)), (255, 255, 255), radius, round_icons,
        )
    if name == "dark":
        w = float(rng.uniform(28, 48))
        accent = hsl_rgb(accent_h, float(rng.uniform(0.55, 0.8)), float(rng.uniform(0.5, 0.62)))
        return Theme(
            name, desktop, _grey(w), _grey(w - rng.uniform(8, 20)), _grey(rng.uniform(200, 235)),
            _grey(rng.uniform(215, 245)), _grey(rng.uniform(125, 160)), _grey(w + rng.uniform(35, 60)),
            _grey(w + rng.uniform(10, 22)), accent, (15, 15, 15) if sum(accent) > 450 else (255, 255, 255),
            _grey(w + rng.uniform(25, 45)), _grey(rng.uniform(215, 245)),
            hsl_rgb(float(rng.uniform(195, 225)), 0.85, 0.68), _grey(w + rng.uniform(6, 14)), _grey(w - rng.uniform(6, 14)),
            _grey(w + rng.uniform(30, 50)), _grey(w + rng.uniform(50, 75)), _grey(235), radius, round_icons,
        )
    # colorful: a tinted window, a saturated title bar, an accent from the other side of the wheel
    h = float(rng.uniform(0, 360))
    window = hsl_rgb(h, float(rng.uniform(0.35, 0.6)), float(rng.uniform(0.9, 0.95)))
    titlebar = hsl_rgb(h, float(rng.uniform(0.55, 0.8)), float(rng.uniform(0.35, 0.5)))
    accent = hsl_rgb(h + float(rng.uniform(120, 240)), float(rng.uniform(0.6, 0.85)), float(rng.uniform(0.4, 0.5)))
    return Theme(
        name, desktop, window, titlebar, (255, 255, 255), hsl_rgb(h, 0.5, 0.15), hsl_rgb(h, 0.15, 0.5),
        hsl_rgb(h, 0.35, 0.7), (255, 255, 255), accent, (255, 255, 255), hsl_rgb(h, 0.45, 0.82), hsl_rgb(h, 0.5, 0.15),
        hsl_rgb(h + 180, 0.8, 0.35), hsl_rgb(h, 0.45, 0.86), hsl_rgb(h, 0.4, 0.87), hsl_rgb(h, 0.55, 0.76),
        hsl_rgb(h, 0.2, 0.7), (255, 255, 255), radius, round_icons,
    )
