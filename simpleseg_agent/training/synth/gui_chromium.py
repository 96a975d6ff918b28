"""The Chromium engine: the same layouts rendered by a real browser, boxes read back from the DOM.

A layout becomes an HTML page of absolutely positioned elements — real ``<button>``, ``<input>``,
``<select>`` and checkbox controls, links, SVG icons — at the layout's boxes. Headless Chromium
(Debian: ``apt-get install chromium``) renders it; a script reads every element's box back
(``getBoundingClientRect``; for texts and links the rectangle of the text itself), so polygons
follow what the browser drew. One browser runs per renderer, driven over the DevTools protocol on
a pipe (``--remote-debugging-pipe``: no port, no extra Python package).

Texts are boxed differently from the Pillow engine: the browser's line box (the font's em box)
rather than Pillow's ink box plus padding.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import shutil
import subprocess
import tempfile
import weakref
from typing import Any

from PIL import Image

from ...devtools_pipe import start_with_pipe, stop_browser
from ...mockup.layout import Element, ScreenLayout
from ._common import SynthConfigError, SynthRenderError

_EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Glyphs on a 100 x 100 canvas, the shapes of the Pillow engine's icons (mockup.draw.draw_glyph).
_ICON_SVG = {
    "close": '<path d="M22 22L78 78M78 22L22 78" stroke-width="{w}" stroke-linecap="round"/>',
    "search": ('<circle cx="42" cy="42" r="22" fill="none" stroke-width="{w}"/>'
               '<path d="M58 58L80 80" stroke-width="{w2}" stroke-linecap="round"/>'),
    "gear": '<path d="{gear}" stroke="none" fill="{c}"/><circle cx="50" cy="50" r="9" stroke="none" fill="{under}"/>',
    "trash": ('<path d="M22 32H78M40 32V22H60V32M29 38L35 80H65L71 38Z M50 44V72" fill="none" stroke-width="{w}" '
              'stroke-linejoin="round"/>'),
    "plus": '<path d="M22 50H78M50 22V78" stroke-width="{w2}"/>',
    "menu": '<path d="M22 30H78M22 50H78M22 70H78" stroke-width="{w}"/>',
    "home": ('<path d="M50 22L78 48H22Z M31 46H69V78H31Z" stroke="none" fill="{c}"/>'
             '<rect x="44" y="60" width="12" height="18" fill="{under}" stroke="none"/>'),
    "star": '<path d="{star}" stroke="none" fill="{c}"/>',
    "minimize": '<path d="M22 67H78" stroke-width="{w}"/>',
    "maximize": '<rect x="26" y="26" width="48" height="48" fill="none" stroke-width="{w}"/>',
}


def _poly(points) -> str:
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z"


def _radial(n: int, r_even: float, r_odd: float, start: float) -> str:
    """A closed path alternating between two radii about (50, 50): gear teeth, star points."""
    pts = []
    for k in range(n):
        r, a = (r_even if k % 2 == 0 else r_odd), start + 2 * math.pi * k / n
        pts.append((50 + r * math.cos(a), 50 + r * math.sin(a)))
    return _poly(pts)


def _gear() -> str:
    return _radial(16, 28, 20, 0.0)


def _star() -> str:
    return _radial(10, 30, 13, -math.pi / 2)


def _rgb(c) -> str:
    return f"rgb({c[0]},{c[1]},{c[2]})"


def icon_svg(name: str, size: int, color, under) -> str:
    body = _ICON_SVG[name].format(w=max(6, round(100 / size * 1.6)), w2=max(8, round(100 / size * 2.4)), c=_rgb(color),
                                  under=_rgb(under), gear=_gear(), star=_star())
    return (f'<svg width="{size}" height="{size}" viewBox="0 0 100 100" stroke="{_rgb(color)}" '
            f'style="position:absolute;left:0;top:0">{body}</svg>')


def _font(el: Element, family: str) -> str:
    return f"font:{'bold ' if el.bold else ''}{el.font_px}px '{family}';"


def layout_html(layout: ScreenLayout) -> str:
    """The page of a layout; every element carries ``data-i`` (its index) for the read-back."""
    W, H = layout.size_wh
    th, fam = layout.theme, layout.family.name
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><style>*{{box-sizing:border-box}}"
             f"body{{margin:0;width:{W}px;height:{H}px;overflow:hidden;background:{_rgb(th.desktop)}}}"
             f".a{{position:absolute;margin:0;padding:0;white-space:nowrap}}</style></head><body>"]
    for s in layout.surfaces:
        x0, y0, x1, y1 = s.box
        parts.append(f'<div class="a" style="left:{x0}px;top:{y0}px;width:{x1 - x0}px;height:{y1 - y0}px;'
                     f'background:{_rgb(s.color)}"></div>')
    for i, el in enumerate(layout.elements):
        x0, y0, x1, y1 = el.box
        w, h = x1 - x0, y1 - y0
        geo = f"left:{x0}px;top:{y0}px;width:{w}px;height:{h}px;"
        rad = f"border-radius:{el.radius_px}px;"
        txt = html.escape(el.text)
        k = el.kind
        if k in ("text", "link"):
            ox, oy = el.origin
            tx = "-50%" if el.anchor[0] == "m" else "0"
            style = (f"left:{ox:.1f}px;top:{oy:.1f}px;transform:translate({tx},-50%);line-height:1;"
                     f"color:{_rgb(el.ink)};{_font(el, fam)}")
            if k == "link":
                parts.append(f'<a class="a" href="#" data-i="{i}" style="{style}text-decoration:underline">{txt}</a>')
            else:
                parts.append(f'<span class="a" data-i="{i}" style="{style}">{txt}</span>')
        elif k == "button":
            bg = _rgb(el.fill) if el.fill else "transparent"
            border = f"1px solid {_rgb(el.border)}" if el.border else "none"
            parts.append(f'<button class="a" data-i="{i}" style="{geo}{rad}background:{bg};border:{border};color:{_rgb(el.ink)};'
                         f'{_font(el, fam)}">{txt}</button>')
        elif k == "text_field":
            pad = max(el.radius_px // 2, int(0.5 * el.font_px)) + (int(h * 0.75) if el.state.get("search") else 0)
            attr = f'placeholder="{txt}"' if el.state.get("placeholder") else f'value="{txt}"'
            parts.append(f'<input class="a" data-i="{i}" {attr} style="{geo}{rad}background:{_rgb(el.fill)};'
                         f'border:{max(1, el.font_px // 14)}px solid {_rgb(el.border)};padding-left:{pad}px;color:{_rgb(el.ink)};'
                         f'{_font(el, fam)}">')
            if el.state.get("search"):
                gx = x0 + pad - int(h * 0.75) - h // 6
                parts.append(f'<div class="a" style="left:{gx}px;top:{y0}px;width:{h}px;height:{h}px">'
                             f'{icon_svg("search", h, th.muted, el.fill)}</div>')
        elif k == "dropdown":
            parts.append(f'<select class="a" data-i="{i}" style="{geo}{rad}background:{_rgb(el.fill)};'
                         f'border:{max(1, el.font_px // 14)}px solid {_rgb(el.border)};color:{_rgb(el.ink)};'
                         f'padding-left:{int(0.4 * el.font_px)}px;{_font(el, fam)}"><option>{txt}</option></select>')
        elif k == "checkbox":
            checked = " checked" if el.state.get("checked") else ""
            parts.append(f'<input type="checkbox" class="a" data-i="{i}"{checked} style="{geo}accent-color:{_rgb(th.accent)}">')
        elif k == "toggle":
            m = max(2, h // 8)
            kx = w - h + m if el.state.get("on") else m
            parts.append(f'<div class="a" data-i="{i}" style="{geo}border-radius:{h / 2}px;background:{_rgb(el.fill)}">'
                         f'<div class="a" style="left:{kx}px;top:{m}px;width:{h - 2 * m}px;height:{h - 2 * m}px;'
                         f'border-radius:50%;background:{_rgb(el.ink)}"></div></div>')
        elif k == "icon_button":
            bg = _rgb(el.fill) if el.fill else "transparent"
            parts.append(f'<button class="a" data-i="{i}" style="{geo}{rad}background:{bg};border:none">'
                         f'{icon_svg(el.name, w, el.ink, el.fill or el.bg)}</button>')
        elif k in ("menu_item", "tab", "nav_item"):
            bg = _rgb(el.fill) if el.fill else "transparent"
            align = "flex-start" if k == "nav_item" else "center"
            pad = f"padding-left:{int(0.6 * el.font_px)}px;" if k == "nav_item" else ""
            under = (f"border-bottom:{max(2, el.font_px // 6)}px solid {_rgb(el.state['accent'])};"
                     if k == "tab" and el.state.get("selected") else "")
            parts.append(f'<div class="a" data-i="{i}" style="{geo}{rad}{pad}{under}background:{bg};display:flex;'
                         f'align-items:center;justify-content:{align};color:{_rgb(el.ink)};{_font(el, fam)}">{txt}</div>')
        else:  # pragma: no cover
            raise ValueError(f"unknown element kind {k!r}")
    parts.append("</body></html>")
    return "".join(parts)


_READ_BOXES = """(() => {
  const out = {};
  for (const e of document.querySelectorAll('[data-i]')) {
    let r = e.getBoundingClientRect();
    if (e.tagName === 'SPAN' || e.tagName === 'A') {
      const range = document.createRange(); range.selectNodeContents(e); r = range.getBoundingClientRect();
    }
    out[e.dataset.i] = [r.left, r.top, r.right, r.bottom];
  }
  return JSON.stringify(out);
})()"""


class ChromiumRenderer:
    """One headless Chromium driven over ``--remote-debugging-pipe``; ``render(layout)`` -> image.

    ``render`` also moves each element's box to where the browser drew it.
    """

    def __init__(self, executable: str | None = None, timeout_s: float = 60.0) -> None:
        exe = executable or next((p for p in map(shutil.which, _EXECUTABLES) if p), None)
        if exe is None:
            raise SynthConfigError(
                f"engine='chromium' needs a Chromium browser on PATH (none of {', '.join(_EXECUTABLES)} found); "
                "install it (Debian: apt-get install chromium) or use engine='pil'"
            )
        self._profile = tempfile.mkdtemp(prefix="simpleseg-chromium-")
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--no-first-run", "--no-default-browser-check", "--mute-audio",
                "--disable-extensions", "--disable-background-networking", "--disable-sync", "--font-render-hinting=none",
                f"--user-data-dir={self._profile}", "about:blank"]
        self._proc, self._w, r = start_with_pipe(args)
        self._r = os.fdopen(r, "rb", buffering=0)
        self._buf = b""
        self._id = 0
        self._timeout = timeout_s
        self._finalizer = weakref.finalize(self, ChromiumRenderer._shutdown, self._proc, self._w, self._r, self._profile)
        targets = self._call("Target.getTargets")["targetInfos"]
        page = next(t["targetId"] for t in targets if t["type"] == "page")
        self._session = self._call("Target.attachToTarget", {"targetId": page, "flatten": True})["sessionId"]
        self._call("Page.enable", session=True)
        self._frame = self._call("Page.getFrameTree", session=True)["frameTree"]["frame"]["id"]

    def _call(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        try:
            self._w.write(json.dumps(msg).encode() + b"\0")
            while True:
                while b"\0" not in self._buf:
                    chunk = self._r.read(1 << 20)
                    if not chunk:
                        raise SynthRenderError("Chromium closed its DevTools pipe (did it crash?)")
                    self._buf += chunk
                raw, self._buf = self._buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._id:
                    break
        except (BrokenPipeError, OSError) as exc:
            raise SynthRenderError(f"Chromium is not answering: {exc}") from None
        if "error" in reply:
            raise SynthRenderError(f"Chromium {method} failed: {reply['error']}")
        return reply.get("result", {})

    def render(self, layout: ScreenLayout) -> Image.Image:
        """Render ``layout`` (updating its element boxes to the browser's) and return the screenshot."""
        W, H = layout.size_wh
        self._call("Emulation.setDeviceMetricsOverride", {"width": W, "height": H, "deviceScaleFactor": 1, "mobile": False},
                   session=True)
        self._call("Page.setDocumentContent", {"frameId": self._frame, "html": layout_html(layout)}, session=True)
        self._call("Runtime.evaluate", {"expression": "document.fonts.ready.then(() => 1)", "awaitPromise": True}, session=True)
        boxes = json.loads(self._call("Runtime.evaluate", {"expression": _READ_BOXES, "returnByValue": True},
                                      session=True)["result"]["value"])
        for key, (left, top, right, bottom) in boxes.items():
            el = layout.elements[int(key)]
            # outward to whole pixels (edges exactly on a pixel boundary stay there)
            box = (max(0, math.floor(left + 1e-6)), max(0, math.floor(top + 1e-6)),
                   min(W, math.ceil(right - 1e-6)), min(H, math.ceil(bottom - 1e-6)))
            if box[2] > box[0] and box[3] > box[1]:
                el.box = box
        shot = self._call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session=True)
        with Image.open(io.BytesIO(base64.b64decode(shot["data"]))) as im:
            return im.convert("RGB")

    @staticmethod
    def _shutdown(proc: subprocess.Popen, w, r, profile: str) -> None:
        stop_browser(proc, (w.close, r.close), profile)

    def close(self) -> None:
        """Stop the browser and remove its temporary profile."""
        self._finalizer()
