"""The Pillow engine: draws a :class:`~.layout.ScreenLayout` (no browser, no display, ~ms per screen).

Boxes are ``xyxy`` with exclusive ends; Pillow's rectangles include their last pixel, hence the
``- 1`` when drawing.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from .fonts import load_font
from .layout import RGB, Box, Element, ScreenLayout


def _incl(box: Box) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (x0, y0, x1 - 1, y1 - 1)


def draw_glyph(draw: ImageDraw.ImageDraw, name: str, box: Box, color: RGB, under: RGB) -> None:
    """Draw icon ``name`` (search, close, gear, trash, plus, menu, home, star, minimize, maximize)
    inside ``box``, using about the middle 55 % of it; ``under`` is the colour behind the glyph."""
    x0, y0, x1, y1 = box
    s = min(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2
    g = s * 0.28  # half-size of the glyph
    w = max(1, int(round(s / 11)))
    if name == "close":
        draw.line([(cx - g, cy - g), (cx + g, cy + g)], fill=color, width=w + 1)
        draw.line([(cx - g, cy + g), (cx + g, cy - g)], fill=color, width=w + 1)
    elif name == "search":
        r = g * 0.68
        ox, oy = cx - g * 0.25, cy - g * 0.25
        draw.ellipse([ox - r, oy - r, ox + r, oy + r], outline=color, width=w + 1)
        d = r / math.sqrt(2)
        draw.line([(ox + d, oy + d), (cx + g, cy + g)], fill=color, width=w + 2)
    elif name == "gear":
        pts = []
        for k in range(16):
            a = k * math.pi / 8
            rr = g if k % 2 == 0 else g * 0.72
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        draw.polygon(pts, fill=color)
        r = g * 0.32
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=under)
    elif name == "trash":
        draw.line([(cx - g, cy - g * 0.6), (cx + g, cy - g * 0.6)], fill=color, width=w + 1)
        draw.rectangle([cx - g * 0.3, cy - g, cx + g * 0.3, cy - g * 0.6], outline=color, width=w)
        draw.polygon([(cx - g * 0.75, cy - g * 0.45), (cx + g * 0.75, cy - g * 0.45), (cx + g * 0.55, cy + g),
                      (cx - g * 0.55, cy + g)], outline=color, width=w + 1)
        draw.line([(cx, cy - g * 0.2), (cx, cy + g * 0.75)], fill=color, width=w)
    elif name == "plus":
        draw.line([(cx - g, cy), (cx + g, cy)], fill=color, width=w + 2)
        draw.line([(cx, cy - g), (cx, cy + g)], fill=color, width=w + 2)
    elif name == "menu":
        for dy in (-0.7, 0.0, 0.7):
            draw.line([(cx - g, cy + dy * g), (cx + g, cy + dy * g)], fill=color, width=w + 1)
    elif name == "home":
        draw.polygon([(cx, cy - g), (cx + g, cy - g * 0.05), (cx - g, cy - g * 0.05)], fill=color)
        draw.rectangle([cx - g * 0.65, cy - g * 0.1, cx + g * 0.65, cy + g], fill=color)
        draw.rectangle([cx - g * 0.2, cy + g * 0.35, cx + g * 0.2, cy + g], fill=under)
    elif name == "star":
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rr = g * 1.05 if k % 2 == 0 else g * 0.45
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        draw.polygon(pts, fill=color)
    elif name == "minimize":
        draw.line([(cx - g, cy + g * 0.6), (cx + g, cy + g * 0.6)], fill=color, width=w + 1)
    elif name == "maximize":
        draw.rectangle([cx - g * 0.85, cy - g * 0.85, cx + g * 0.85, cy + g * 0.85], outline=color, width=w + 1)
    else:  # pragma: no cover - the layout only places known icons
        raise ValueError(f"unknown icon {name!r}")


def _text(draw: ImageDraw.ImageDraw, el: Element, xy, text: str, color: RGB, anchor: str, family) -> None:
    font = load_font(family.bold if el.bold else family.regular, el.font_px)
    draw.text(xy, text, fill=color, font=font, anchor=anchor)


def draw_element(draw: ImageDraw.ImageDraw, el: Element, layout: ScreenLayout) -> None:
    fam, th = layout.family, layout.theme
    x0, y0, x1, y1 = el.box
    bw = max(1, el.font_px // 14)
    k = el.kind
    if k in ("text", "link"):
        _text(draw, el, el.origin, el.text, el.ink, el.anchor, fam)
        if k == "link":
            base = el.box[3] - max(1, int(round(0.12 * el.font_px))) - 1
            draw.line([(el.box[0] + 1, base), (el.box[2] - 2, base)], fill=el.ink, width=1)
    elif k == "button":
        draw.rounded_rectangle(_incl(el.box), el.radius_px, fill=el.fill, outline=el.border, width=bw)
        _text(draw, el, el.origin, el.text, el.ink, "mm", fam)
    elif k in ("text_field", "dropdown"):
        draw.rounded_rectangle(_incl(el.box), el.radius_px, fill=el.fill, outline=el.border, width=bw)
        h = y1 - y0
        tx = x0 + max(el.radius_px // 2, int(0.5 * el.font_px))
        if el.state.get("search"):
            draw_glyph(draw, "search", (tx - h // 6, y0, tx - h // 6 + h, y1), th.muted, el.fill)
            tx += int(h * 0.75)
        _text(draw, el, (tx, (y0 + y1) / 2), el.text, el.ink, "lm", fam)
        if k == "dropdown":
            c, g = (x1 - h / 2, (y0 + y1) / 2), h * 0.14
            draw.line([(c[0] - g, c[1] - g / 2), (c[0], c[1] + g / 2), (c[0] + g, c[1] - g / 2)], fill=th.text, width=bw + 1)
    elif k == "checkbox":
        draw.rounded_rectangle(_incl(el.box), el.radius_px, fill=el.fill, outline=el.border, width=bw)
        if el.state.get("checked"):
            s = x1 - x0
            pts = [(x0 + s * 0.22, y0 + s * 0.52), (x0 + s * 0.42, y0 + s * 0.72), (x0 + s * 0.78, y0 + s * 0.3)]
            draw.line(pts, fill=el.ink, width=max(2, s // 7))
    elif k == "toggle":
        draw.rounded_rectangle(_incl(el.box), el.radius_px, fill=el.fill)
        h = y1 - y0
        m = max(2, h // 8)
        kx = x1 - h + m if el.state.get("on") else x0 + m
        draw.ellipse([kx, y0 + m, kx + h - 2 * m - 1, y1 - m - 1], fill=el.ink)
    elif k == "icon_button":
        if el.fill is not None:
            draw.rounded_rectangle(_incl(el.box), el.radius_px, fill=el.fill)
        draw_glyph(draw, el.name, el.box, el.ink, el.fill or el.bg)
    elif k in ("menu_item", "tab", "nav_item"):
        if el.fill is not None:
            draw.rounded_rectangle(_incl(el.box), el.radius_px, fill=el.fill)
        if k == "tab" and el.state.get("selected"):
            draw.rectangle([x0, y1 - max(2, el.font_px // 6), x1 - 1, y1 - 1], fill=el.state["accent"])
        _text(draw, el, el.origin, el.text, el.ink, el.anchor if k == "nav_item" else "mm", fam)
    else:  # pragma: no cover
        raise ValueError(f"unknown element kind {k!r}")


def render_pil(layout: ScreenLayout) -> Image.Image:
    """The screen as an RGB image of ``layout.size_wh``."""
    img = Image.new("RGB", layout.size_wh, layout.theme.desktop)
    draw = ImageDraw.Draw(img)
    for s in layout.surfaces:
        if s.kind != "desktop":
            draw.rectangle(_incl(s.box), fill=s.color)
    for el in layout.elements:
        draw_element(draw, el, layout)
    return img
