"""The window process of :class:`~simpleseg_agent.agent.tk_layout.LayoutWindow`: a ScreenLayout drawn with Tk.

Run as ``python -m simpleseg_agent.agent._tk_layout_window``. The first stdin line is
``{"layout": <layout_to_json(...)>, "native_buttons": false}``. Output lines (stdout): ``READY`` once
the window is on the screen and drawn; ``CLICKED <element index> <text>`` for a click (press and
release) on an interactive element; ``MISSED <x> <y>`` for a click anywhere else; ``PONG <token>``
for each later stdin line ``ping <token>``, once every X event sent before it has been handled.
End of input closes the window.

The drawing mirrors :mod:`simpleseg_agent.mockup.draw`. Tk draws the surfaces, the
element shapes (rounded rectangles as polygons, outlines as an outer and an inner shape, since
Pillow draws an outline inside the box) and all text, placed at the whole-pixel pen position that
best matches Pillow's (:func:`pil_pen`). Icons (the glyphs of icon buttons, the search glass, the
check mark, the dropdown chevron) are small images painted by the Pillow engine's own glyph code and
shown as Tk photo images, as real toolkits show icons from image files.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..mockup.draw import draw_glyph
from ..mockup.fonts import load_font
from ..mockup.layout import Element, ScreenLayout
from ._tk_child import serve_pings
from .tk_layout import CLICKABLE_KINDS, element_label, layout_from_json

_ANCHORS = {"mm": "center", "lm": "w", "rm": "e", "mt": "n", "lt": "nw", "rt": "ne", "mb": "s", "lb": "sw", "rb": "se"}


def _emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _hex(rgb: Sequence[int]) -> str:
    r, g, b = (int(c) for c in rgb[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _round_rect_points(x0: float, y0: float, x1: float, y1: float, r: float) -> list[float]:
    """The outline of a box with rounded corners, in pixel-edge coordinates, as a flat list.

    Pillow's corner of radius ``r`` is a quarter of the ellipse whose inclusive box is ``2r + 1``
    pixels wide: in pixel-edge coordinates a circle of radius ``r + 0.5``.
    """
    if r < 1:
        return [x0, y0, x1, y0, x1, y1, x0, y1]
    r = min(r + 0.5, (x1 - x0) / 2, (y1 - y0) / 2)
    n = max(2, math.ceil(r * 1.5))  # enough chords that none strays a visible fraction of a pixel
    pts: list[float] = []
    for (cx, cy), start in (((x0 + r, y0 + r), math.pi), ((x1 - r, y0 + r), 1.5 * math.pi),
                            ((x1 - r, y1 - r), 0.0), ((x0 + r, y1 - r), 0.5 * math.pi)):
        for k in range(n + 1):
            a = start + k * (math.pi / 2) / n
            pts += [cx + r * math.cos(a), cy + r * math.sin(a)]
    return pts


def _mask(font: Any, text: str, anchor: str, start: tuple[float, float]) -> tuple[Any, tuple[int, int]]:
    import numpy as np

    mask, offset = font.getmask2(text, "L", anchor=anchor, start=start)
    return np.asarray(mask, dtype=np.int32).reshape(mask.size[1], mask.size[0]), offset


def pil_pen(font: Any, text: str, xy: Sequence[float], anchor: str) -> tuple[int, int]:
    """The whole-pixel pen position (left end of the baseline) whose glyphs best cover what Pillow draws
    for ``text`` at ``xy``: Pillow renders at sub-pixel offsets, Xft at whole pixels, so a ``.5``
    origin is matched by the nearer of the two neighbouring pixels, chosen on the rendered glyphs."""
    import numpy as np

    x, y = xy
    drawn, at = _mask(font, text, anchor, (math.modf(x)[0], math.modf(y)[0]))
    whole, ls = _mask(font, text, "ls", (0.0, 0.0))
    ax, ay = int(x) + at[0], int(y) + at[1]  # where Pillow puts its mask
    guess = (ax - ls[0], ay - ls[1])
    if drawn.shape == whole.shape and np.array_equal(drawn, whole):
        return guess
    pad = 2
    h = max(drawn.shape[0], whole.shape[0]) + 2 * pad
    w = max(drawn.shape[1], whole.shape[1]) + 2 * pad
    ref = np.zeros((h, w), np.int32)
    ref[pad:pad + drawn.shape[0], pad:pad + drawn.shape[1]] = drawn
    best, best_err = guess, None
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            ox, oy = pad + dx, pad + dy  # the whole-pixel mask's corner relative to Pillow's, in ref
            if ox < 0 or oy < 0 or ox + whole.shape[1] > w or oy + whole.shape[0] > h:
                continue
            cand = np.zeros_like(ref)
            cand[oy:oy + whole.shape[0], ox:ox + whole.shape[1]] = whole
            err = int(np.abs(cand - ref).sum())
            if best_err is None or err < best_err:
                best, best_err = (guess[0] + dx, guess[1] + dy), err
    return best


class Painter:
    """Draws layout items on one canvas whose origin is at layout pixel ``(ox, oy)``."""

    def __init__(self, canvas: Any, layout: ScreenLayout, fonts: Callable[[int, bool], Any], images: list[Any],
                 ox: int = 0, oy: int = 0) -> None:
        self.c, self.layout, self.fonts, self.images, self.ox, self.oy = canvas, layout, fonts, images, ox, oy

    # primitives, in layout coordinates ---------------------------------------------------------
    def rect(self, box: Sequence[float], color: Sequence[int]) -> None:
        """Fill ``box`` (``xyxy``, exclusive ends)."""
        x0, y0, x1, y1 = box
        self.c.create_rectangle(x0 - self.ox, y0 - self.oy, x1 - self.ox, y1 - self.oy, fill=_hex(color), outline="", width=0)

    def round_rect(self, box: Sequence[float], radius: float, fill, outline=None, width: int = 1, under=None) -> None:
        """Pillow's ``rounded_rectangle`` of the inclusive box of ``box``: an outline ``width`` px inside the
        edge, the inside filled with ``fill``, or with ``under`` (the colour behind) when there is no fill."""
        x0, y0, x1, y1 = (float(v) for v in box)
        if outline is not None:
            self._poly_edges(_round_rect_points(x0, y0, x1, y1, radius), outline)
            x0, y0, x1, y1, radius = x0 + width, y0 + width, x1 - width, y1 - width, radius - width
            if x1 <= x0 or y1 <= y0:
                return
            fill = fill if fill is not None else under
        if fill is not None:
            self._poly_edges(_round_rect_points(x0, y0, x1, y1, radius), fill)

    def _poly_edges(self, flat: list[float], color) -> None:
        pts = [v - (self.ox if i % 2 == 0 else self.oy) for i, v in enumerate(flat)]
        self.c.create_polygon(pts, fill=_hex(color), outline="", width=0)

    def ellipse(self, box: Sequence[float], fill) -> None:
        """Pillow's filled ``ellipse`` of the inclusive box ``box``."""
        x0, y0, x1, y1 = box
        cx, cy, rx, ry = (x0 + x1 + 1) / 2, (y0 + y1 + 1) / 2, (x1 - x0 + 1) / 2, (y1 - y0 + 1) / 2
        n = max(16, int(4 * max(rx, ry)))  # a polygon: X11's arcs round differently from Pillow's ellipses
        pts = [(cx + rx * math.cos(2 * math.pi * k / n), cy + ry * math.sin(2 * math.pi * k / n)) for k in range(n)]
        self._poly_edges([v for p in pts for v in p], fill)

    def bitmap(self, box: Sequence[int], draw: Callable[[Any, int, int], None]) -> None:
        """An icon: ``draw(pillow_draw, x0, y0)`` paints a transparent image of ``box`` (layout
        coordinates minus ``(x0, y0)``), shown as a Tk photo image at ``box``."""
        import base64
        import io
        import tkinter as tk

        from PIL import Image, ImageDraw

        x0, y0, x1, y1 = (int(v) for v in box)
        if x1 <= x0 or y1 <= y0:
            return
        img = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
        draw(ImageDraw.Draw(img), x0, y0)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        photo = tk.PhotoImage(master=self.c, data=base64.b64encode(buf.getvalue()), format="png")
        self.images.append(photo)
        self.c.create_image(x0 - self.ox, y0 - self.oy, image=photo, anchor="nw")

    def glyph(self, name: str, box: Sequence[int], color, under) -> None:
        x0, y0, x1, y1 = box
        self.bitmap(box, lambda d, ox, oy: draw_glyph(d, name, (x0 - ox, y0 - oy, x1 - ox, y1 - oy), tuple(color), tuple(under)))

    def lines(self, box: Sequence[int], pts: Sequence[tuple[float, float]], color, width: int) -> None:
        self.bitmap(box, lambda d, ox, oy: d.line([(x - ox, y - oy) for x, y in pts], fill=tuple(color), width=width))

    def text(self, el: Element, xy: Sequence[float], text: str, color, anchor: str) -> None:
        """Pillow's ``text`` at ``xy`` with ``anchor``: placed by the pen position Pillow uses, so the same
        glyphs land on the same pixels (Pillow also renders at sub-pixel offsets, Xft on whole pixels)."""
        font = self.fonts(el.font_px, el.bold)
        fam = self.layout.family
        path = fam.bold if el.bold else fam.regular
        if path is None or not text:  # Pillow's built-in font: no file Tk could use; anchor alone
            self.c.create_text(xy[0] - self.ox, xy[1] - self.oy, text=text, fill=_hex(color), font=font,
                               anchor=_ANCHORS.get(anchor, "center"))
            return
        pen_x, pen_y = pil_pen(load_font(path, el.font_px), text, xy, anchor)
        self.c.create_text(pen_x - self.ox, pen_y - font.metrics("ascent") - self.oy, text=text, fill=_hex(color),
                           font=font, anchor="nw")

    # elements (mockup.draw.draw_element) -----------------------------------------------------------
    def element(self, el: Element) -> None:
        th = self.layout.theme
        x0, y0, x1, y1 = el.box
        bw = max(1, el.font_px // 14)
        k = el.kind
        if k in ("text", "link"):
            self.text(el, el.origin, el.text, el.ink, el.anchor)
            if k == "link":
                base = y1 - max(1, round(0.12 * el.font_px)) - 1
                self.rect((x0 + 1, base, x1 - 1, base + 1), el.ink)
        elif k == "button":
            self.round_rect(el.box, el.radius_px, el.fill, el.border, bw, under=el.bg)
            self.text(el, el.origin, el.text, el.ink, "mm")
        elif k in ("text_field", "dropdown"):
            self.round_rect(el.box, el.radius_px, el.fill, el.border, bw, under=el.bg)
            h = y1 - y0
            tx = x0 + max(el.radius_px // 2, int(0.5 * el.font_px))
            if el.state.get("search"):
                self.glyph("search", (tx - h // 6, y0, tx - h // 6 + h, y1), th.muted, el.fill)
                tx += int(h * 0.75)
            self.text(el, (tx, (y0 + y1) / 2), el.text, el.ink, "lm")
            if k == "dropdown":
                cx, cy, g = x1 - h / 2, (y0 + y1) / 2, h * 0.14
                self.lines(el.box, [(cx - g, cy - g / 2), (cx, cy + g / 2), (cx + g, cy - g / 2)], th.text, bw + 1)
        elif k == "checkbox":
            self.round_rect(el.box, el.radius_px, el.fill, el.border, bw, under=el.bg)
            if el.state.get("checked"):
                s = x1 - x0
                pts = [(x0 + s * 0.22, y0 + s * 0.52), (x0 + s * 0.42, y0 + s * 0.72), (x0 + s * 0.78, y0 + s * 0.3)]
                self.lines(el.box, pts, el.ink, max(2, s // 7))
        elif k == "toggle":
            self.round_rect(el.box, el.radius_px, el.fill)
            h = y1 - y0
            m = max(2, h // 8)
            kx = x1 - h + m if el.state.get("on") else x0 + m
            self.ellipse([kx, y0 + m, kx + h - 2 * m - 1, y1 - m - 1], el.ink)
        elif k == "icon_button":
            if el.fill is not None:
                self.round_rect(el.box, el.radius_px, el.fill)
            self.glyph(el.name, el.box, el.ink, el.fill or el.bg)
        elif k in ("menu_item", "tab", "nav_item"):
            if el.fill is not None:
                self.round_rect(el.box, el.radius_px, el.fill)
            if k == "tab" and el.state.get("selected"):
                self.rect((x0, y1 - max(2, el.font_px // 6), x1, y1), el.state["accent"])
            self.text(el, el.origin, el.text, el.ink, el.anchor if k == "nav_item" else "mm")


def build(root: Any, layout: ScreenLayout, *, native_buttons: bool = False, emit: Callable[[str], None] = _emit) -> Any:
    """Draw ``layout`` in ``root`` (a ``tk.Tk``) at ``+0+0``; returns the background canvas."""
    import tkinter as tk  # here, not at import: doctest collection imports this module on machines without Tk
    import tkinter.font as tkfont

    W, H = layout.size_wh
    th = layout.theme
    root.title(layout.title)
    root.overrideredirect(True)  # no window manager decorations, placed exactly
    root.geometry(f"{W}x{H}+0+0")
    root.configure(bg=_hex(th.desktop), highlightthickness=0, bd=0)
    cache: dict[tuple[int, bool], Any] = {}
    family = layout.family.name if layout.family.regular else "DejaVu Sans"

    def fonts(px: int, bold: bool) -> Any:
        if (px, bold) not in cache:  # a negative size is in pixels, as Pillow's
            cache[(px, bold)] = tkfont.Font(root, family=family, size=-int(px), weight="bold" if bold else "normal")
        return cache[(px, bold)]

    canvas = tk.Canvas(root, width=W, height=H, bg=_hex(th.desktop), highlightthickness=0, bd=0)
    canvas.place(x=0, y=0, width=W, height=H)
    images: list[Any] = []  # Tk forgets a photo image once its Python object is collected
    canvas.simpleseg_images = images
    base = Painter(canvas, layout, fonts, images)
    for s in layout.surfaces:
        if s.kind != "desktop":
            base.rect(s.box, s.color)
    pressed: dict[str, Any] = {}

    def on_press(index: int | None) -> Callable:
        def handler(event) -> None:
            pressed["index"] = index
        return handler

    def on_release(index: int | None) -> Callable:
        def handler(event) -> None:
            w = event.widget
            inside = 0 <= event.x < w.winfo_width() and 0 <= event.y < w.winfo_height()
            if pressed.pop("index", "none") != index or not inside:
                return
            if index is None:
                emit(f"MISSED {event.x} {event.y}")
            else:
                emit(f"CLICKED {index} {element_label(layout.elements[index])}")
        return handler

    canvas.bind("<ButtonPress-1>", on_press(None))
    canvas.bind("<ButtonRelease-1>", on_release(None))
    for i, el in enumerate(layout.elements):
        if el.kind not in CLICKABLE_KINDS:
            base.element(el)
            continue
        x0, y0, x1, y1 = el.box
        if el.kind == "button" and native_buttons:
            fill = el.fill if el.fill is not None else el.bg
            widget = tk.Button(root, text=el.text, font=fonts(el.font_px, el.bold), bg=_hex(fill), fg=_hex(el.ink),
                               activebackground=_hex(fill), activeforeground=_hex(el.ink), relief="flat", bd=0, padx=0,
                               pady=0, highlightthickness=max(1, el.font_px // 14) if el.border else 0,
                               highlightbackground=_hex(el.border or fill), highlightcolor=_hex(el.border or fill),
                               takefocus=0, command=lambda i=i: emit(f"CLICKED {i} {element_label(layout.elements[i])}"))
        else:
            widget = tk.Canvas(root, width=x1 - x0, height=y1 - y0, bg=_hex(el.bg), highlightthickness=0, bd=0)
            Painter(widget, layout, fonts, images, x0, y0).element(el)
            widget.bind("<ButtonPress-1>", on_press(i))
            widget.bind("<ButtonRelease-1>", on_release(i))
        widget.place(x=x0, y=y0, width=x1 - x0, height=y1 - y0)
    return canvas


def _settle(root: Any) -> None:
    root.update_idletasks()
    root.winfo_pointerxy()  # a round trip: every event the server sent before it is now queued
    root.update()
    root.update_idletasks()  # canvases redraw when idle, after their Expose events
    root.winfo_pointerxy()  # ... and the server has drawn everything asked before it


def main() -> None:
    import tkinter as tk

    spec = json.loads(sys.stdin.readline() or "null")
    if not isinstance(spec, dict) or "layout" not in spec:
        raise SystemExit("expected one JSON line {\"layout\": ..., \"native_buttons\": false} on stdin")
    layout = layout_from_json(spec["layout"])
    root = tk.Tk()
    build(root, layout, native_buttons=bool(spec.get("native_buttons", False)))

    def ready() -> None:
        if not root.winfo_viewable():
            root.after(10, ready)
            return
        _settle(root)
        _emit("READY")

    serve_pings(root, _settle, lambda token: _emit(f"PONG {token}"))
    root.after(10, ready)
    root.mainloop()


if __name__ == "__main__":
    main()
