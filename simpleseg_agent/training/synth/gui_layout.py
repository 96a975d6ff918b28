"""Layout of a synthetic GUI screen: a window with a title bar, optional menu bar, toolbar, sidebar
and tabs, and a form of widgets in columns; no two elements overlap.

The layout is engine-neutral: boxes in pixels (``xyxy`` with exclusive ends: pixel column ``c``
covers ``[c, c + 1)``, the convention of :func:`simpleseg_agent.geometry.region_to_mask`), texts,
colours and states. The PIL engine draws it; the Chromium engine turns it into HTML and reads the
boxes back. Sizes are multiples of the font size ``f``, so one layout code serves 640x400 screens
with 24 px text and 1920x1080 screens with 11 px text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import vocab
from ...mockup.fonts import available_fonts, load_font
from ...mockup.layout import RGB, Box, Element, ScreenLayout, Surface
from .gui_theme import make_theme

if TYPE_CHECKING:
    from .gui import GuiSynthConfig


#: Element kinds (the record ``label``) and the row kinds that produce them.
WIDGET_KINDS: tuple[str, ...] = (
    "button", "icon_button", "text_field", "checkbox", "toggle", "dropdown", "menu_item", "tab", "nav_item",
    "link", "text",
)


def _pick(rng: np.random.Generator, pool) -> Any:
    return pool[int(rng.integers(len(pool)))]


class _Builder:
    """Places elements; every placement checks the space left and the element budget."""

    def __init__(self, cfg: GuiSynthConfig, rng: np.random.Generator) -> None:
        self.cfg, self.rng = cfg, rng
        lo, hi = cfg.width_range
        self.W = int(rng.integers(lo, hi + 1))
        lo, hi = cfg.height_range
        self.H = int(rng.integers(lo, hi + 1))
        self.theme = make_theme(str(_pick(rng, cfg.themes)), rng)
        fams = [f for f in available_fonts() if cfg.fonts is None or f.name in cfg.fonts] or list(available_fonts())
        self.family = fams[int(rng.integers(len(fams)))]
        self.f = int(rng.integers(cfg.font_px_range[0], cfg.font_px_range[1] + 1))
        self.budget = int(rng.integers(cfg.elements_range[0], cfg.elements_range[1] + 1))
        self.elements: list[Element] = []
        self.surfaces: list[Surface] = []
        self.used: set[str] = set()
        self.enabled = set(cfg.widgets)

    # helpers --------------------------------------------------------------------------------
    def u(self, k: float) -> int:
        """``k`` font sizes in pixels (at least 1)."""
        return max(1, int(round(k * self.f)))

    def font(self, px: int, bold: bool = False):
        return load_font(self.family.bold if bold else self.family.regular, px)

    def text_w(self, text: str, px: int | None = None, bold: bool = False) -> int:
        return int(np.ceil(self.font(px or self.f, bold).getlength(text)))

    def left(self) -> int:
        return self.budget - sum(e.target for e in self.elements)

    def chrome_left(self) -> int:
        """Elements the window chrome (bars, sidebar, tabs) may still take: at most ~40 % of the
        budget, so the form keeps the rest."""
        return min(self.left(), int(0.4 * self.budget) + 2 - len(self.elements))

    def fresh(self, pool, key=lambda v: v):
        """A value of ``pool`` whose text is not yet on the screen (any one after a few tries)."""
        for _ in range(12):
            v = _pick(self.rng, pool)
            if key(v) not in self.used:
                break
        self.used.add(key(v))
        return v

    def add(self, el: Element) -> int:
        self.elements.append(el)
        return len(self.elements) - 1

    def text_el(self, xy: tuple[float, float], text: str, *, anchor: str, px: int | None = None, bold: bool = False,
                ink: RGB, bg: RGB, role: str, group: str = "form", kind: str = "text") -> Element:
        """A text element whose box is the ink box of the text, padded by a little."""
        px = px or self.f
        left, top, right, bottom = self.font(px, bold).getbbox(text, anchor=anchor)
        pad = max(1, int(round(0.12 * px)))
        x, y = xy
        box = (int(np.floor(x + left)) - pad, int(np.floor(y + top)) - pad,
               int(np.ceil(x + right)) + pad, int(np.ceil(y + bottom)) + pad)
        return Element(kind, box, text=text, group=group, role=role, bg=bg, ink=ink, font_px=px, bold=bold,
                       origin=(float(x), float(y)), anchor=anchor)

    def radius(self, w: int, h: int, scale: float = 1.0) -> int:
        return int(min(round(self.theme.radius * self.f * scale), w // 2, h // 2))

    # chrome ---------------------------------------------------------------------------------
    def window(self) -> Box:
        cfg, rng, W, H = self.cfg, self.rng, self.W, self.H
        self.surfaces.append(Surface((0, 0, W, H), self.theme.desktop, "desktop"))
        fw = float(rng.uniform(*cfg.window_fill_range))
        fh = float(rng.uniform(*cfg.window_fill_range))
        ww = min(W, max(int(W * fw), self.u(22)))
        wh = min(H, max(int(H * fh), self.u(12)))
        ww, wh = (W if ww > W - 4 else ww), (H if wh > H - 4 else wh)
        wx, wy = int(rng.integers(0, W - ww + 1)), int(rng.integers(0, H - wh + 1))
        if ww < W or wh < H:  # a soft shadow on the desktop
            sh = self.u(0.25)
            shade = tuple(max(0, c - 40) for c in self.theme.desktop)
            shadow = (min(W, wx + sh), min(H, wy + sh), min(W, wx + ww + sh), min(H, wy + wh + sh))
            self.surfaces.append(Surface(shadow, shade, "shadow"))
        self.surfaces.append(Surface((wx, wy, wx + ww, wy + wh), self.theme.window, "window"))
        return (wx, wy, wx + ww, wy + wh)

    def titlebar(self, win: Box, title: str) -> int:
        th_ = self.theme
        x0, y0, x1, _ = win
        th = self.u(1.9)
        self.surfaces.append(Surface((x0, y0, x1, y0 + th), th_.titlebar, "titlebar"))
        s = max(8, int(round(th * 0.62)))
        cy = y0 + (th - s) // 2
        x = x1 - self.u(0.4) - s
        controls = ["close"] + (["maximize", "minimize"] if self.rng.random() < 0.5 and self.left() >= 5 else [])
        for name in controls:
            r = s // 2 if th_.round_icons else self.radius(s, s, 0.5)
            self.add(Element("icon_button", (x, cy, x + s, cy + s), name=name, group="titlebar", radius_px=r,
                             bg=th_.titlebar, ink=th_.titlebar_text))
            x -= s + self.u(0.25)
        centered = self.rng.random() < 0.4
        bold = bool(self.rng.random() < 0.5)
        if centered and self.text_w(title, bold=bold) < (x1 - x0) - 2 * (x1 - x):
            el = self.text_el(((x0 + x1) / 2, y0 + th / 2), title, anchor="mm", bold=bold, ink=th_.titlebar_text,
                              bg=th_.titlebar, role="title", group="titlebar")
        else:
            el = self.text_el((x0 + self.u(0.7), y0 + th / 2), title, anchor="lm", bold=bold, ink=th_.titlebar_text,
                              bg=th_.titlebar, role="title", group="titlebar")
        if el.box[2] < x - self.u(0.5):
            self.add(el)
        return y0 + th

    def menubar(self, x0: int, y: int, x1: int) -> int:
        mh = self.u(1.7)
        self.surfaces.append(Surface((x0, y, x1, y + mh), self.theme.bar, "menubar"))
        extra = [m for m in vocab.MENU_ITEMS[2:] if self.rng.random() < 0.5]
        items = ["File", "Edit", *extra]
        x = x0 + self.u(0.3)
        for text in items[: max(0, self.chrome_left())]:
            w = self.text_w(text) + 2 * self.u(0.6)
            if x + w > x1 - self.u(1):
                break
            self.used.add(text)
            self.add(Element("menu_item", (x, y, x + w, y + mh), text=text, group="menubar", bg=self.theme.bar,
                             ink=self.theme.text, font_px=self.f, origin=(x + w / 2, y + mh / 2)))
            x += w
        return y + mh

    def toolbar(self, x0: int, y: int, x1: int) -> int:
        th_, tb = self.theme, self.u(2.5)
        self.surfaces.append(Surface((x0, y, x1, y + tb), th_.bar, "toolbar"))
        s = self.u(1.8)
        cy = y + (tb - s) // 2
        x = x0 + self.u(0.5)
        names = list(self.rng.permutation(vocab.TOOL_ICONS))[: int(self.rng.integers(1, 5))]
        for name in names[: max(0, self.chrome_left() - 1)]:
            self._icon(name, x, cy, s, th_.bar, group="toolbar")
            x += s + self.u(0.3)
        if "text_field" in self.enabled and self.chrome_left() >= 1:
            fw = min(int(self.rng.uniform(9, 16) * self.f), (x1 - self.u(0.5)) - (x + self.u(2)))
            if fw >= self.u(7):
                fx = x1 - self.u(0.5) - fw
                ph = str(_pick(self.rng, ("Search", "Search...", "Search files", "Type to search")))
                self.used.add(ph)
                self.add(Element("text_field", (fx, cy, fx + fw, cy + s), text=ph, name="Search", group="toolbar",
                                 radius_px=self.radius(fw, s) if self.rng.random() < 0.5 else s // 2,
                                 bg=th_.bar, fill=th_.field, border=th_.border, ink=th_.muted, font_px=self.f,
                                 state={"placeholder": True, "search": True}))
        return y + tb

    def _icon(self, name: str, x: int, y: int, s: int, bg: RGB, group: str) -> int:
        th_ = self.theme
        filled = self.rng.random() < 0.5
        r = s // 2 if th_.round_icons else self.radius(s, s)
        return self.add(Element("icon_button", (x, y, x + s, y + s), name=name, group=group, radius_px=r, bg=bg,
                                fill=th_.button if filled else None, ink=th_.button_text if filled else th_.text))

    def sidebar(self, x0: int, y0: int, y1: int) -> int:
        th_ = self.theme
        sw = self.u(float(self.rng.uniform(8, 11)))
        self.surfaces.append(Surface((x0, y0, x0 + sw, y1), th_.sidebar, "sidebar"))
        ih, pad = self.u(2.0), self.u(0.4)
        n = min(int(self.rng.integers(3, 9)), max(0, self.chrome_left()), (y1 - y0 - pad) // ih)
        sel = int(self.rng.integers(max(n, 1)))
        y = y0 + pad
        items = [self.fresh(vocab.SIDEBAR_ITEMS) for _ in range(n)]
        for i, text in enumerate(items):
            box = (x0 + pad, y, x0 + sw - pad, y + ih)
            if self.text_w(text) + self.u(1.2) > box[2] - box[0]:
                continue
            fill = th_.selected if i == sel else None
            self.add(Element("nav_item", box, text=text, group="sidebar", radius_px=self.radius(box[2] - box[0], ih),
                             bg=th_.sidebar, fill=fill, ink=th_.text, font_px=self.f, bold=i == sel,
                             origin=(box[0] + self.u(0.6), y + ih / 2), anchor="lm", state={"selected": i == sel}))
            y += ih
        return x0 + sw

    def tabs(self, x0: int, y: int, x1: int) -> int:
        th_, tab_h = self.theme, self.u(2.2)
        self.surfaces.append(Surface((x0, y, x1, y + tab_h), th_.bar, "tabs"))
        n = min(int(self.rng.integers(2, 6)), max(0, self.chrome_left()))
        sel = int(self.rng.integers(max(n, 1)))
        x = x0 + self.u(0.6)
        for i in range(n):
            text = self.fresh(vocab.TAB_LABELS)
            w = self.text_w(text) + 2 * self.u(1.0)
            if x + w > x1 - self.u(0.5):
                break
            self.add(Element("tab", (x, y, x + w, y + tab_h), text=text, group="tabs", bg=th_.bar,
                             fill=th_.window if i == sel else None, ink=th_.text, font_px=self.f, bold=i == sel,
                             origin=(x + w / 2, y + tab_h / 2), state={"selected": i == sel, "accent": th_.accent}))
            x += w + self.u(0.1)
        return y + tab_h

    # content rows ---------------------------------------------------------------------------
    def button_row(self, x0: int, y: int, x1: int, *, group: str = "form", align: str | None = None) -> int | None:
        th_, bh = self.theme, self.u(2.0)
        k = min(int(self.rng.integers(1, 4)), self.left())
        if k < 1:
            return None
        texts = [self.fresh(vocab.BUTTON_TEXTS) for _ in range(k)]
        widths = [max(self.text_w(t) + 2 * self.u(1.1), self.u(4.5)) for t in texts]
        gap = self.u(0.6)
        while texts and sum(widths) + gap * (len(texts) - 1) > x1 - x0:
            texts.pop(0), widths.pop(0)
        if not texts:
            return None
        align = align or str(_pick(self.rng, ("left", "right")))
        x = x0 if align == "left" else x1 - (sum(widths) + gap * (len(texts) - 1))
        primary = len(texts) - 1 if self.rng.random() < 0.75 else -1
        outline = self.rng.random() < 0.4
        for i, (t, w) in enumerate(zip(texts, widths)):
            is_primary = i == primary
            fill = th_.accent if is_primary else (None if outline else th_.button)
            self.add(Element("button", (x, y, x + w, y + bh), text=t, group=group, radius_px=self.radius(w, bh),
                             bg=th_.window, fill=fill, border=None if fill else th_.border,
                             ink=th_.accent_text if is_primary else th_.button_text, font_px=self.f, bold=is_primary,
                             origin=(x + w / 2, y + bh / 2), state={"primary": is_primary}))
            x += w + gap
        return bh

    def field_row(self, x0: int, y: int, x1: int, kind: str) -> int | None:
        th_, fh = self.theme, self.u(2.0)
        if self.left() < 2:
            return None
        if kind == "text_field":
            label, placeholder = self.fresh(vocab.FIELDS, key=lambda v: v[0])
            show_value = self.rng.random() < 0.25
            shown = str(_pick(self.rng, vocab.FIELD_VALUES)) if show_value else placeholder
            ink = th_.text if show_value else th_.muted
            state: dict[str, Any] = {"placeholder": not show_value}
            min_w, max_w = 8.0, 22.0
        else:
            label, values = self.fresh(vocab.DROPDOWNS, key=lambda v: v[0])
            shown, ink, state, min_w, max_w = str(_pick(self.rng, values)), th_.text, {}, 7.0, 15.0
        need = self.text_w(shown) + self.u(2.5 if kind == "dropdown" else 1.5)
        lw = self.text_w(label)
        side = "left" if self.rng.random() < 0.4 and lw + self.u(0.8) + max(need, self.u(min_w)) <= x1 - x0 else "above"
        fx = x0 + (lw + self.u(0.8) if side == "left" else 0)
        fw = min(x1 - fx, max(need, self.u(float(self.rng.uniform(min_w, max_w)))))
        if fw < need or fw < self.u(4):
            return None
        fy = y + (self.u(1.55) if side == "above" else 0)
        widget = Element(kind, (fx, fy, fx + fw, fy + fh), text=shown, name=label, radius_px=self.radius(fw, fh, 0.6),
                         bg=th_.window, fill=th_.field, border=th_.border, ink=ink, font_px=self.f, state=state,
                         label_side=side)
        xy = (x0, y + self.u(0.6)) if side == "above" else (x0, fy + fh / 2)
        lab = self.text_el(xy, label, anchor="lm", ink=th_.text, bg=th_.window, role="label")
        widget.label_index = self.add(lab)
        self.add(widget)
        return (fy + fh) - y

    def check_row(self, x0: int, y: int, x1: int, kind: str) -> int | None:
        th_ = self.theme
        if self.left() < 2:
            return None
        rh = self.u(1.6)
        label = self.fresh(vocab.CHECKBOX_LABELS if kind == "checkbox" else vocab.TOGGLE_LABELS)
        on = bool(self.rng.random() < 0.5)
        if kind == "checkbox":
            w = h = self.u(1.1)
            fill, r = (th_.accent if on else th_.field), self.radius(w, h, 0.4)
            state = {"checked": on}
        else:
            w, h = self.u(2.2), self.u(1.2)
            fill, r, state = (th_.accent if on else th_.toggle_off), h // 2, {"on": on}
        lw, gap = self.text_w(label), self.u(0.5)
        if w + gap + lw > x1 - x0:
            return None
        side = "right" if kind == "checkbox" or self.rng.random() < 0.5 else "left"
        cy = y + rh / 2
        if side == "right":  # widget first, its label to the right
            wx, lxy = x0, (x0 + w + gap, cy)
        else:  # label first; the switch at the column's right end or just after the label
            wx = x1 - w if self.rng.random() < 0.5 else x0 + lw + self.u(1.0)
            lxy = (x0, cy)
            if wx + w > x1 or wx < x0 + lw + gap:
                return None
        wy = int(round(cy - h / 2))
        widget = Element(kind, (wx, wy, wx + w, wy + h), name=label, radius_px=r, bg=th_.window, fill=fill,
                         border=None if on or kind == "toggle" else th_.border,
                         ink=th_.knob if kind == "toggle" else th_.accent_text,
                         font_px=self.f, state=state, label_side=side)
        widget.label_index = self.add(self.text_el(lxy, label, anchor="lm", ink=th_.text, bg=th_.window, role="label"))
        self.add(widget)
        return rh

    def icon_row(self, x0: int, y: int, x1: int) -> int | None:
        s, gap = self.u(1.9), self.u(0.4)
        k = min(int(self.rng.integers(2, 6)), self.left(), (x1 - x0 + gap) // (s + gap))
        if k < 1:
            return None
        x = x0 if self.rng.random() < 0.6 else x1 - k * s - (k - 1) * gap
        for name in list(self.rng.permutation(vocab.TOOL_ICONS))[:k]:
            self._icon(str(name), x, y, s, self.theme.window, group="form")
            x += s + gap
        return s

    def text_row(self, x0: int, y: int, x1: int, role: str) -> int | None:
        th_ = self.theme
        if self.left() < 1:
            return None
        pool = {"link": vocab.LINKS, "heading": vocab.HEADINGS, "note": vocab.NOTES}[role]
        text = self.fresh(pool)
        px = {"link": self.f, "heading": self.u(1.25), "note": max(8, self.u(0.85))}[role]
        bold = role == "heading"
        if self.text_w(text, px, bold) > x1 - x0:
            return None
        rh = self.u({"link": 1.4, "heading": 1.8, "note": 1.3}[role])
        el = self.text_el((x0, y + rh / 2), text, anchor="lm", px=px, bold=bold,
                          ink={"link": th_.link, "heading": th_.text, "note": th_.muted}[role], bg=th_.window, role=role,
                          kind="link" if role == "link" else "text")
        self.add(el)
        return rh

    def row(self, x0: int, y: int, x1: int) -> int | None:
        kinds = [k for k in ("text_field", "dropdown", "checkbox", "toggle", "button", "icon_button", "link", "text")
                 if k in self.enabled]
        if not kinds:
            return None
        weights = np.array([{"text_field": 3, "dropdown": 1.5, "checkbox": 2, "toggle": 1.5, "button": 1.5,
                             "icon_button": 0.7, "link": 1, "text": 1.2}[k] for k in kinds])
        kind = kinds[int(self.rng.choice(len(kinds), p=weights / weights.sum()))]
        if kind in ("text_field", "dropdown"):
            return self.field_row(x0, y, x1, kind)
        if kind in ("checkbox", "toggle"):
            return self.check_row(x0, y, x1, kind)
        if kind == "button":
            return self.button_row(x0, y, x1)
        if kind == "icon_button":
            return self.icon_row(x0, y, x1)
        if kind == "link":
            return self.text_row(x0, y, x1, "link")
        return self.text_row(x0, y, x1, "heading" if self.rng.random() < 0.6 else "note")

    # the whole screen -----------------------------------------------------------------------
    def build(self) -> ScreenLayout:
        cfg, rng = self.cfg, self.rng
        title = str(_pick(rng, vocab.WINDOW_TITLES))
        self.used.add(title)
        x0, y0, x1, y1 = self.window()
        y = self.titlebar((x0, y0, x1, y1), title)
        on = self.enabled
        if "menu_item" in on and rng.random() < cfg.menubar_prob and self.chrome_left() >= 3:
            y = self.menubar(x0, y, x1)
        if ("icon_button" in on or "text_field" in on) and rng.random() < cfg.toolbar_prob and self.chrome_left() >= 2:
            y = self.toolbar(x0, y, x1)
        cx0 = x0
        if "nav_item" in on and rng.random() < cfg.sidebar_prob and self.chrome_left() >= 3 and x1 - x0 > self.u(40):
            cx0 = self.sidebar(x0, y, y1)
        if "tab" in on and rng.random() < cfg.tabs_prob and self.chrome_left() >= 2:
            y = self.tabs(cx0, y, x1)
        pad = self.u(float(rng.uniform(0.8, 1.4)))
        top, bottom, left, right = y + pad, y1 - pad, cx0 + pad, x1 - pad
        if "button" in on and rng.random() < cfg.footer_prob and self.left() >= 1 and bottom - top > self.u(4):
            fy = bottom - self.u(2.0)
            if self.button_row(left, fy, right, group="footer", align="right" if rng.random() < 0.8 else "left"):
                bottom = fy - self.u(0.8)
        gap = self.u(float(rng.uniform(0.6, 1.1)))
        n_cols = int(rng.integers(cfg.columns_range[0], cfg.columns_range[1] + 1))
        col_gap = self.u(2.0)
        while n_cols > 1 and (right - left - (n_cols - 1) * col_gap) / n_cols < self.u(16):
            n_cols -= 1
        col_w = (right - left - (n_cols - 1) * col_gap) // n_cols
        ys = [top] * n_cols
        tries = [0] * n_cols
        open_cols = list(range(n_cols))
        while open_cols and self.left() > 0:
            for c in list(open_cols):
                if self.left() <= 0:
                    break
                cx = left + c * (col_w + col_gap)
                mark = len(self.elements)
                h = self.row(cx, ys[c], cx + col_w)
                if h is not None and any(e.box[3] > bottom for e in self.elements[mark:]):
                    del self.elements[mark:]  # the row does not fit under this column
                    h = None
                if h is None:  # another row kind may still fit; give up after a few misses
                    tries[c] += 1
                    if tries[c] >= 4:
                        open_cols.remove(c)
                    continue
                tries[c] = 0
                ys[c] += h + gap
                if ys[c] + self.u(1.6) > bottom:
                    open_cols.remove(c)
        return ScreenLayout((self.W, self.H), self.theme, self.family, self.f, title, self.surfaces, self.elements)


def layout_screen(cfg: GuiSynthConfig, rng: np.random.Generator) -> ScreenLayout:
    """A random screen layout under ``cfg``, drawn from ``rng`` alone."""
    return _Builder(cfg, rng).build()
