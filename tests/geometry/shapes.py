"""Shape generators shared by the geometry tests (pixel coordinates unless said otherwise)."""

from __future__ import annotations

import cv2
import numpy as np


def star_polygon(rng: np.random.Generator, n: int, w: int, h: int, *, jagged: float = 0.5, shuffle: float = 0.3) -> np.ndarray:
    """A random star-like polygon, possibly self-intersecting (shuffled order) and partly off-image."""
    cx, cy = rng.uniform(-0.1 * w, 1.1 * w), rng.uniform(-0.1 * h, 1.1 * h)
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = rng.uniform(1, 0.4 * max(w, h)) * (1 + jagged * rng.uniform(-1, 1, n))
    if rng.random() < shuffle:
        rng.shuffle(ang)
    return np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1)


def blob_mask(rng: np.random.Generator, w: int = 160, h: int = 120, n: int = 3) -> np.ndarray:
    """A union of random ellipses and rectangles, as a bool mask."""
    m = np.zeros((h, w), np.uint8)
    for _ in range(n):
        if rng.random() < 0.5:
            center = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            axes = (int(rng.integers(4, w // 3)), int(rng.integers(4, h // 3)))
            cv2.ellipse(m, center, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        else:
            x, y = int(rng.integers(0, w - 8)), int(rng.integers(0, h - 8))
            cv2.rectangle(m, (x, y), (x + int(rng.integers(6, w // 2)), y + int(rng.integers(6, h // 2))), 1, -1)
    return m.astype(bool)
