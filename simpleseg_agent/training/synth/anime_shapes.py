"""Cartoon objects for the anime scene generator: flat fills, dark outlines drawn over them, exact
coverage.

An object is a list of drawing steps in scene pixels. :func:`draw_object` runs them on a patch the
size of the object's box and returns its colours and its *coverage* (every pixel the object
paints, outline strokes included, holes excluded), so the scene knows each object's exact mask.
No anti-aliasing anywhere: a pixel either belongs to an object or it does not.

Steps (``Step.op``):

* ``fill`` — a shape filled with ``color``, then outlined (``outline`` px) in the ink colour;
* ``blob`` — a union of shapes outlined only along the union's border (clouds, tree crowns, bubbles);
* ``cut`` — a shape removed from the object so far (a donut's hole), its border then outlined;
* ``limb`` — a thick open polyline (arms, poles, strings) with an outline around it;
* ``line`` — a plain polyline (whiskers, a mouth, sprinkles);
* ``text`` — Hershey text (speech bubbles).

Shapes: ``("poly", points)``, ``("circle", (x, y), r)``, ``("ellipse", (x, y), (ax, ay), angle)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

RGB = tuple[int, int, int]
Shape = tuple


@dataclass
class Step:
    op: str
    shapes: list[Shape]
    color: RGB = (0, 0, 0)
    width: int = 0  # limb / line thickness
    text: str = ""
    scale: float = 1.0


@dataclass
class CartoonObject:
    """One object: its category, what describes it (``attrs``), its steps and anchor points."""

    category: str
    steps: list[Step]
    attrs: dict[str, Any] = field(default_factory=dict)
    anchors: dict[str, tuple[float, float]] = field(default_factory=dict)
    depth: float = 0.0  # drawing order: smaller first
    outline: int = 3
    ink: RGB = (25, 20, 30)


def _pts(points) -> np.ndarray:
    return np.round(np.asarray(points, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)


def _shape_points(shape: Shape) -> np.ndarray:
    """Points bounding a shape (for the object's box)."""
    kind = shape[0]
    if kind == "poly":
        return np.asarray(shape[1], dtype=np.float64).reshape(-1, 2)
    (x, y) = shape[1]
    if kind == "circle":
        r = shape[2]
        return np.array([[x - r, y - r], [x + r, y + r]], dtype=np.float64)
    ax, ay = shape[2]
    m = max(ax, ay)
    return np.array([[x - m, y - m], [x + m, y + m]], dtype=np.float64)


def _draw(img: np.ndarray, shape: Shape, value, thickness: int, off: np.ndarray) -> None:
    """Draw ``shape`` on ``img`` (filled when ``thickness < 0``), shifted by ``-off``."""
    kind = shape[0]
    if kind == "poly":
        pts = _pts(np.asarray(shape[1], dtype=np.float64) - off)
        if thickness < 0:
            cv2.fillPoly(img, [pts], value, cv2.LINE_8)
        else:
            cv2.polylines(img, [pts], True, value, thickness, cv2.LINE_8)
        return
    cx, cy = shape[1][0] - off[0], shape[1][1] - off[1]
    c = (int(round(cx)), int(round(cy)))
    if kind == "circle":
        cv2.circle(img, c, max(1, int(round(shape[2]))), value, thickness, cv2.LINE_8)
    else:
        ax, ay = shape[2]
        angle = shape[3] if len(shape) > 3 else 0.0
        cv2.ellipse(img, c, (max(1, int(round(ax))), max(1, int(round(ay)))), float(angle), 0, 360, value, thickness,
                    cv2.LINE_8)


def object_box(obj: CartoonObject) -> np.ndarray:
    """``[x0, y0, x1, y1]`` (pixels) covering everything the object may paint."""
    pts = []
    pad = obj.outline + 2
    for st in obj.steps:
        for sh in st.shapes:
            pts.append(_shape_points(sh))
        pad = max(pad, st.width // 2 + obj.outline + 2)
        if st.op == "text":
            pad = max(pad, int(40 * st.scale))
    allp = np.concatenate(pts)
    return np.concatenate([allp.min(axis=0) - pad, allp.max(axis=0) + pad])


def draw_object(obj: CartoonObject, size_wh: tuple[int, int]) -> tuple[tuple[int, int], np.ndarray, np.ndarray] | None:
    """Render ``obj`` on a patch: ``((x0, y0), colors (h, w, 3) uint8, coverage (h, w) bool)``,
    clipped to the image; ``None`` when the object lies outside it."""
    W, H = size_wh
    box = object_box(obj)
    x0, y0 = int(max(0, math.floor(box[0]))), int(max(0, math.floor(box[1])))
    x1, y1 = int(min(W, math.ceil(box[2]) + 1)), int(min(H, math.ceil(box[3]) + 1))
    if x1 <= x0 or y1 <= y0:
        return None
    off = np.array([x0, y0], dtype=np.float64)
    color = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
    cover = np.zeros((y1 - y0, x1 - x0), np.uint8)
    t, ink = obj.outline, obj.ink
    for st in obj.steps:
        if st.op == "fill":
            for sh in st.shapes:
                _draw(color, sh, st.color, -1, off)
                _draw(cover, sh, 1, -1, off)
                _draw(color, sh, ink, t, off)
                _draw(cover, sh, 1, t, off)
        elif st.op == "blob":
            for sh in st.shapes:  # ink everywhere, then the fills eat the inner half of every stroke
                _draw(color, sh, ink, -1, off)
                _draw(color, sh, ink, 2 * t, off)
                _draw(cover, sh, 1, -1, off)
                _draw(cover, sh, 1, 2 * t, off)
            for sh in st.shapes:
                _draw(color, sh, st.color, -1, off)
        elif st.op == "cut":
            for sh in st.shapes:
                _draw(cover, sh, 0, -1, off)
                _draw(color, sh, (0, 0, 0), -1, off)
                _draw(color, sh, ink, t, off)
                _draw(cover, sh, 1, t, off)
        elif st.op in ("limb", "line"):
            extra = 2 * t if st.op == "limb" else 0
            for sh in st.shapes:
                pts = _pts(np.asarray(sh[1], dtype=np.float64) - off)
                if extra:
                    cv2.polylines(color, [pts], False, ink, st.width + extra, cv2.LINE_8)
                    cv2.polylines(cover, [pts], False, 1, st.width + extra, cv2.LINE_8)
                cv2.polylines(color, [pts], False, st.color, st.width, cv2.LINE_8)
                cv2.polylines(cover, [pts], False, 1, st.width, cv2.LINE_8)
        elif st.op == "text":
            (tx, ty) = st.shapes[0][1]
            face = cv2.FONT_HERSHEY_DUPLEX
            th = max(1, int(round(2 * st.scale)))
            (tw, tht), _ = cv2.getTextSize(st.text, face, st.scale, th)
            org = (int(round(tx - off[0] - tw / 2)), int(round(ty - off[1] + tht / 2)))
            cv2.putText(color, st.text, org, face, st.scale, st.color, th, cv2.LINE_8)
        else:  # pragma: no cover
            raise ValueError(f"unknown step {st.op!r}")
    return (x0, y0), color, cover.astype(bool)


# builders --------------------------------------------------------------------------------------
def _skin(rng: np.random.Generator) -> RGB:
    return [(255, 224, 196), (250, 208, 170), (225, 172, 130), (170, 120, 85), (255, 232, 214)][int(rng.integers(5))]


def _arc(c, r, a0, a1, n=12, squash=1.0) -> list[tuple[float, float]]:
    return [(c[0] + r * math.cos(a), c[1] + squash * r * math.sin(a)) for a in np.linspace(a0, a1, n)]


def character(rng: np.random.Generator, foot_xy: tuple[float, float], height: float, kind: str,
              hair: tuple[str, RGB], clothes: tuple[str, RGB], outline: int) -> CartoonObject:
    """A girl (long hair, dress) or a boy (spiky hair, shirt and trousers) standing at ``foot_xy``."""
    x, yg = foot_xy
    h = height
    hr = 0.15 * h
    top = yg - h
    hc = (x, top + hr)
    neck = hc[1] + hr * 0.95
    hip = yg - 0.38 * h
    skin = _skin(rng)
    hair_name, hair_rgb = hair
    cl_name, cl_rgb = clothes
    steps: list[Step] = []
    if kind == "girl":  # long hair behind everything
        steps.append(Step("blob", [("ellipse", (x, hc[1] + 0.7 * hr), (1.2 * hr, 1.75 * hr), 0)], hair_rgb))
    legs_c = skin if kind == "girl" else [(60, 70, 120), (90, 90, 95), (120, 90, 60)][int(rng.integers(3))]
    lw = max(3, int(0.07 * h))
    for s in (-1, 1):
        steps.append(Step("limb", [("poly", [(x + s * 0.06 * h, hip), (x + s * 0.08 * h, yg - 0.03 * h)])], legs_c, lw))
    for s in (-1, 1):
        steps.append(Step("fill", [("ellipse", (x + s * 0.095 * h, yg - 0.02 * h), (0.055 * h, 0.028 * h), 0)], (70, 50, 40)))
    sw = 0.15 * h
    if kind == "girl":
        body = [(x - sw * 0.75, neck), (x + sw * 0.75, neck), (x + 0.24 * h, hip + 0.1 * h), (x - 0.24 * h, hip + 0.1 * h)]
    else:
        body = [(x - sw, neck), (x + sw, neck), (x + 0.12 * h, hip + 0.02 * h), (x - 0.12 * h, hip + 0.02 * h)]
    steps.append(Step("fill", [("poly", body)], cl_rgb))
    aw = max(2, int(0.045 * h))
    hands = {}
    for s, side in ((-1, "l"), (1, "r")):
        sh = (x + s * sw * 0.85, neck + 0.04 * h)
        pose = int(rng.integers(3))
        if pose == 0:  # down
            elbow, hand = (sh[0] + s * 0.07 * h, sh[1] + 0.13 * h), (sh[0] + s * 0.09 * h, hip + 0.02 * h)
        elif pose == 1:  # raised
            elbow, hand = (sh[0] + s * 0.12 * h, sh[1] - 0.05 * h), (sh[0] + s * 0.16 * h, top + 0.05 * h)
        else:  # out to the side
            elbow, hand = (sh[0] + s * 0.12 * h, sh[1] + 0.06 * h), (sh[0] + s * 0.25 * h, sh[1] + 0.02 * h)
        steps.append(Step("limb", [("poly", [sh, elbow, hand])], skin, aw))
        steps.append(Step("fill", [("circle", hand, 0.035 * h)], skin))
        hands[f"hand_{side}"] = hand
    steps.append(Step("fill", [("circle", hc, hr)], skin))
    if kind == "girl":
        bangs = _arc(hc, hr * 1.08, math.pi * 1.02, math.pi * 1.98, 14)
        zig = [(hc[0] + hr * 0.95 - k * hr * 0.38, hc[1] - hr * (0.15 if k % 2 else 0.42)) for k in range(6)]
        steps.append(Step("fill", [("poly", bangs + zig)], hair_rgb))
    else:
        spikes = []
        for k in range(9):
            a = math.pi * (1.0 + k / 8)
            rr = hr * (1.35 if k % 2 else 1.02)
            spikes.append((hc[0] + rr * math.cos(a), hc[1] + rr * math.sin(a) - 0.05 * hr))
        spikes += [(hc[0] + hr * 0.9, hc[1] - hr * 0.25), (hc[0] - hr * 0.9, hc[1] - hr * 0.25)]
        steps.append(Step("fill", [("poly", spikes)], hair_rgb))
    ey = hc[1] + 0.15 * hr
    for s in (-1, 1):
        steps.append(Step("fill", [("ellipse", (x + s * 0.4 * hr, ey), (0.12 * hr, 0.2 * hr), 0)], (40, 30, 60)))
        steps.append(Step("line", [("poly", [(x + s * 0.4 * hr - 0.03 * hr, ey - 0.08 * hr)] * 2)], (255, 255, 255),
                          max(2, int(0.08 * hr))))
    mouth = _arc((x, hc[1] + 0.45 * hr), 0.22 * hr, 0.15 * math.pi, 0.85 * math.pi, 6)
    steps.append(Step("line", [("poly", mouth)], (120, 40, 50), max(1, int(0.06 * hr))))
    attrs = {"hair": hair_name, "clothes": cl_name, "garment": "dress" if kind == "girl" else "shirt"}
    anchors = {**hands, "head_top": (x, top), "head": hc}
    return CartoonObject(kind, steps, attrs, anchors, depth=yg, outline=outline)


def cat(rng: np.random.Generator, foot_xy, size: float, color: tuple[str, RGB], outline: int) -> CartoonObject:
    x, yg = foot_xy
    s = size
    facing = 1 if rng.random() < 0.5 else -1
    name, rgb = color
    body_c = (x, yg - 0.28 * s)
    tail = [(x - facing * 0.45 * s, yg - 0.3 * s), (x - facing * 0.65 * s, yg - 0.5 * s), (x - facing * 0.6 * s, yg - 0.8 * s)]
    head = (x + facing * 0.42 * s, yg - 0.55 * s)
    hr = 0.24 * s
    ears = [("poly", [(head[0] + k * hr * 0.85, head[1] - hr * 0.4), (head[0] + k * hr * 0.75, head[1] - hr * 1.35),
                      (head[0] + k * hr * 0.15, head[1] - hr * 0.85)]) for k in (-1, 1)]
    steps = [
        Step("limb", [("poly", tail)], rgb, max(3, int(0.07 * s))),
        Step("fill", [("ellipse", body_c, (0.48 * s, 0.26 * s), 0)], rgb),
        Step("fill", ears, rgb),
        Step("fill", [("circle", head, hr)], rgb),
    ]
    for k in (-1, 1):
        eye = ("ellipse", (head[0] + k * 0.38 * hr, head[1] - 0.05 * hr), (0.1 * hr, 0.18 * hr), 0)
        steps.append(Step("fill", [eye], (30, 120, 60)))
        for dy in (-0.08, 0.12):  # whiskers: thin parts
            a = (head[0] + k * 0.35 * hr, head[1] + 0.35 * hr)
            b = (head[0] + k * 1.5 * hr, head[1] + (0.3 + dy * 2) * hr)
            steps.append(Step("line", [("poly", [a, b])], (30, 25, 30), 1))
    return CartoonObject("cat", steps, {"color": name}, {"head_top": (head[0], head[1] - 1.35 * hr), "head": head},
                         depth=yg, outline=outline)


def donut(rng, center, r: float, frosting: tuple[str, RGB], outline: int) -> CartoonObject:
    name, rgb = frosting
    waves = [(center[0] + r * (0.86 + 0.05 * math.sin(7 * a)) * math.cos(a),
              center[1] + r * (0.86 + 0.05 * math.sin(7 * a)) * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 43)[:-1]]
    steps = [Step("fill", [("circle", center, r)], (222, 170, 100)), Step("fill", [("poly", waves)], rgb)]
    for _ in range(10):
        a, rr = rng.uniform(0, 2 * math.pi), r * rng.uniform(0.52, 0.75)
        p = (center[0] + rr * math.cos(a), center[1] + rr * math.sin(a))
        d = rng.uniform(0, math.pi)
        q = (p[0] + 0.08 * r * math.cos(d), p[1] + 0.08 * r * math.sin(d))
        steps.append(Step("line", [("poly", [p, q])], [(255, 255, 255), (80, 170, 255), (255, 230, 60)][int(rng.integers(3))],
                          max(2, int(0.035 * r))))
    steps.append(Step("cut", [("circle", center, 0.34 * r)]))
    return CartoonObject("donut", steps, {"color": name}, depth=center[1] + r, outline=outline)


def tire(rng, center, r: float, outline: int) -> CartoonObject:
    steps = [Step("fill", [("circle", center, r)], (62, 62, 70))]
    for a in np.linspace(0, 2 * math.pi, 19)[:-1]:
        p = (center[0] + 0.8 * r * math.cos(a), center[1] + 0.8 * r * math.sin(a))
        q = (center[0] + 0.95 * r * math.cos(a), center[1] + 0.95 * r * math.sin(a))
        steps.append(Step("line", [("poly", [p, q])], (95, 95, 105), max(2, int(0.06 * r))))
    steps += [Step("fill", [("circle", center, 0.62 * r)], (170, 170, 180)), Step("cut", [("circle", center, 0.42 * r)])]
    return CartoonObject("tire", steps, {}, depth=center[1] + r, outline=outline)


def swim_ring(rng, center, r: float, color: tuple[str, RGB], outline: int) -> CartoonObject:
    name, rgb = color
    steps = [Step("fill", [("circle", center, r)], (250, 250, 250))]
    a0 = rng.uniform(0, math.pi / 2)
    wedges = []
    for k in range(4):
        a = a0 + k * math.pi / 2
        wedges.append(("poly", [center] + _arc(center, r * 0.97, a, a + math.pi / 4, 8)))
    steps.append(Step("fill", wedges, rgb))
    steps.append(Step("cut", [("circle", center, 0.55 * r)]))
    return CartoonObject("swim_ring", steps, {"color": name}, depth=center[1] + r, outline=outline)


def mug(rng, bottom_xy, s: float, color: tuple[str, RGB], outline: int) -> CartoonObject:
    name, rgb = color
    x, yb = bottom_xy
    w, h = 0.75 * s, s
    facing = 1 if rng.random() < 0.5 else -1
    hx = x + facing * w / 2
    handle = _arc((hx, yb - h / 2), 0.3 * s, -math.pi / 2, math.pi / 2, 13) if facing > 0 else \
        _arc((hx, yb - h / 2), 0.3 * s, math.pi / 2, 1.5 * math.pi, 13)
    body = [(x - w / 2, yb - h), (x + w / 2, yb - h), (x + w / 2 * 0.92, yb), (x - w / 2 * 0.92, yb)]
    steps = [Step("limb", [("poly", handle)], rgb, max(4, int(0.12 * s))), Step("fill", [("poly", body)], rgb),
             Step("fill", [("ellipse", (x, yb - h), (w / 2, 0.08 * s), 0)], (110, 70, 40))]
    if rng.random() < 0.6:
        steps.append(Step("fill", [("circle", (x, yb - 0.5 * h), 0.12 * s)], (255, 255, 255)))
    return CartoonObject("mug", steps, {"color": name}, depth=yb, outline=outline)


def sword(rng, grip_xy, length: float, angle: float, outline: int) -> CartoonObject:
    """A sword whose grip is at ``grip_xy``, blade pointing at ``angle`` (radians, screen coordinates)."""
    d = np.array([math.cos(angle), math.sin(angle)])
    n = np.array([-d[1], d[0]])
    g = np.asarray(grip_xy, dtype=np.float64)
    L, bw = length, max(3.0, 0.035 * length)
    guard_c = g + d * 0.12 * L
    tip = guard_c + d * 0.8 * L
    blade = [guard_c + n * bw, guard_c + d * 0.72 * L + n * bw, tip, guard_c + d * 0.72 * L - n * bw, guard_c - n * bw]
    guard = [guard_c + n * 0.13 * L + d * 0.03 * L, guard_c - n * 0.13 * L + d * 0.03 * L,
             guard_c - n * 0.13 * L - d * 0.03 * L, guard_c + n * 0.13 * L - d * 0.03 * L]
    steps = [
        Step("limb", [("poly", [g - d * 0.12 * L, guard_c])], (120, 70, 40), max(3, int(0.05 * L))),
        Step("fill", [("poly", [tuple(p) for p in blade])], (205, 212, 225)),
        Step("fill", [("poly", [tuple(p) for p in guard])], (220, 180, 60)),
        Step("fill", [("circle", tuple(g - d * 0.14 * L), 0.035 * L)], (220, 180, 60)),
    ]
    return CartoonObject("sword", steps, {}, depth=0.0, outline=outline)


def flag(rng, base_xy, height: float, color: tuple[str, RGB], outline: int) -> CartoonObject:
    name, rgb = color
    x, yb = base_xy
    top = yb - height
    fw, fh = 0.45 * height, 0.28 * height
    side = 1 if rng.random() < 0.5 else -1
    cloth = [(x, top + 0.02 * height)]
    cloth += [(x + side * fw * k / 8, top + 0.02 * height + 0.04 * fh * math.sin(k * 0.9)) for k in range(1, 9)]
    cloth += [(x + side * fw * k / 8, top + fh + 0.04 * fh * math.sin(k * 0.9)) for k in range(8, 0, -1)]
    cloth.append((x, top + fh))
    steps = [Step("limb", [("poly", [(x, yb), (x, top)])], (150, 110, 70), max(3, int(0.025 * height))),
             Step("fill", [("poly", cloth)], rgb), Step("fill", [("circle", (x, top), 0.03 * height)], (230, 190, 60))]
    return CartoonObject("flag", steps, {"color": name}, depth=yb, outline=outline)


def broom(rng, grip_xy, length: float, angle: float, outline: int) -> CartoonObject:
    d = np.array([math.cos(angle), math.sin(angle)])
    n = np.array([-d[1], d[0]])
    g = np.asarray(grip_xy, dtype=np.float64)
    a, b = g - d * 0.35 * length, g + d * 0.45 * length
    head = [b - n * 0.05 * length, b + n * 0.05 * length, b + d * 0.3 * length + n * 0.14 * length,
            b + d * 0.3 * length - n * 0.14 * length]
    steps = [Step("limb", [("poly", [tuple(a), tuple(b)])], (170, 120, 70), max(3, int(0.03 * length))),
             Step("fill", [("poly", [tuple(p) for p in head])], (230, 200, 110))]
    for k in (-0.5, 0.0, 0.5):
        p, q = b + d * 0.1 * length + n * k * 0.06 * length, b + d * 0.28 * length + n * k * 0.2 * length
        steps.append(Step("line", [("poly", [tuple(p), tuple(q)])], (160, 120, 50), 1))
    return CartoonObject("broom", steps, {}, depth=0.0, outline=outline)


def balloon(rng, string_end, r: float, color: tuple[str, RGB], outline: int) -> CartoonObject:
    name, rgb = color
    x, y = string_end
    c = (x + rng.uniform(-0.6, 0.6) * r, y - 3.2 * r)
    knot = (c[0], c[1] + 1.25 * r)
    mid = ((x + knot[0]) / 2 + 0.3 * r, (y + knot[1]) / 2)
    steps = [Step("line", [("poly", [knot, mid, (x, y)])], (70, 60, 70), 2),
             Step("fill", [("poly", [(knot[0], knot[1] - 0.1 * r), (knot[0] + 0.15 * r, knot[1] + 0.12 * r),
                                     (knot[0] - 0.15 * r, knot[1] + 0.12 * r)])], rgb),
             Step("fill", [("ellipse", c, (0.85 * r, 1.15 * r), 0)], rgb),
             Step("fill", [("ellipse", (c[0] - 0.35 * r, c[1] - 0.45 * r), (0.12 * r, 0.22 * r), 30)], (255, 255, 255))]
    return CartoonObject("balloon", steps, {"color": name}, depth=y, outline=outline)


def ball(rng, center, r: float, color: tuple[str, RGB], outline: int) -> CartoonObject:
    name, rgb = color
    a0 = rng.uniform(0, math.pi)
    steps = [Step("fill", [("circle", center, r)], (250, 250, 250))]
    steps.append(Step("fill", [("poly", [center] + _arc(center, r * 0.97, a0 + k * 2 * math.pi / 3,
                                                        a0 + k * 2 * math.pi / 3 + math.pi / 3, 8)) for k in range(3)], rgb))
    steps.append(Step("fill", [("circle", center, 0.18 * r)], (250, 250, 250)))
    return CartoonObject("ball", steps, {"color": name}, depth=center[1] + r, outline=outline)


def tree(rng, base_xy, height: float, outline: int) -> CartoonObject:
    x, yb = base_xy
    tw = 0.12 * height
    crown_c = (x, yb - 0.68 * height)
    cr = 0.3 * height
    puffs = [("circle", crown_c, cr)]
    for _ in range(int(rng.integers(3, 6))):
        a = rng.uniform(0, 2 * math.pi)
        puffs.append(("circle", (crown_c[0] + 0.55 * cr * math.cos(a), crown_c[1] + 0.45 * cr * math.sin(a)),
                      cr * rng.uniform(0.55, 0.8)))
    green = [(70, 160, 70), (90, 180, 80), (50, 130, 70)][int(rng.integers(3))]
    steps = [Step("fill", [("poly", [(x - tw / 2, yb), (x - tw / 3, crown_c[1]), (x + tw / 3, crown_c[1]), (x + tw / 2, yb)])],
                  (130, 90, 55)),
             Step("blob", puffs, green)]
    return CartoonObject("tree", steps, {}, depth=yb - 1000, outline=outline)


def cloud(rng, center, r: float, outline: int) -> CartoonObject:
    puffs = [("ellipse", center, (1.6 * r, 0.7 * r), 0)]
    for _ in range(int(rng.integers(2, 5))):
        puffs.append(("circle", (center[0] + rng.uniform(-1.0, 1.0) * r, center[1] - rng.uniform(0.2, 0.6) * r),
                      r * rng.uniform(0.5, 0.85)))
    return CartoonObject("cloud", [Step("blob", puffs, (252, 252, 255))], {}, depth=-2000, outline=outline)


def sun(rng, center, r: float, outline: int) -> CartoonObject:
    rays = []
    for a in np.linspace(0, 2 * math.pi, 11)[:-1] + rng.uniform(0, 0.5):
        rays.append(("poly", [(center[0] + 0.9 * r * math.cos(a), center[1] + 0.9 * r * math.sin(a)),
                              (center[0] + 1.55 * r * math.cos(a), center[1] + 1.55 * r * math.sin(a))]))
    steps = [Step("limb", rays, (255, 200, 40), max(2, int(0.1 * r))), Step("fill", [("circle", center, r)], (255, 215, 60))]
    return CartoonObject("sun", steps, {}, depth=-3000, outline=outline)


def speech_bubble(rng, center, text: str, scale: float, target_xy, outline: int, thought: bool = False) -> CartoonObject:
    """A bubble around ``text`` with a tail (or trailing puffs for a thought bubble) towards ``target_xy``."""
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, max(1, int(round(2 * scale))))
    ax, ay = tw * 0.5 + 14 * scale + 6, th * 0.5 + 12 * scale + 6
    cx, cy = center
    tx, ty = target_xy
    d = np.array([tx - cx, ty - cy], dtype=np.float64)
    d /= max(1e-6, float(np.hypot(*d)))
    if thought:
        puffs = [("ellipse", center, (ax, ay), 0)]
        for k in range(7):
            a = k * 2 * math.pi / 7
            puffs.append(("circle", (cx + ax * 0.85 * math.cos(a), cy + ay * 0.85 * math.sin(a)), 0.45 * ay))
        steps = [Step("blob", puffs, (255, 255, 255))]
        edge = np.array([cx, cy]) + d * np.array([ax, ay]) * 1.35
        for k, rr in enumerate((0.25 * ay, 0.15 * ay)):
            p = edge + d * (k + 1) * 0.45 * ay
            steps.append(Step("fill", [("circle", tuple(p), rr)], (255, 255, 255)))
    else:
        n = np.array([-d[1], d[0]])
        base = np.array([cx, cy]) + d * np.array([ax, ay]) * 0.7
        tip = np.array([cx, cy]) + d * np.array([ax, ay]) * 1.6 + d * 10 * scale
        tail = ("poly", [tuple(base + n * 0.25 * ay), tuple(tip), tuple(base - n * 0.25 * ay)])
        steps = [Step("blob", [("ellipse", center, (ax, ay), 0), tail], (255, 255, 255))]
    steps.append(Step("text", [("circle", center, 1)], (30, 30, 40), text=text, scale=scale))
    return CartoonObject("thought_bubble" if thought else "speech_bubble", steps, {"text": text}, depth=1e9, outline=outline)
