"""A mock-up GUI screen as a REAL Tk window that looks like its Pillow rendering.

The default model learned from screens that :mod:`simpleseg_agent.training.synth.gui` draws with
Pillow (:mod:`simpleseg_agent.mockup.draw`). :class:`LayoutWindow` shows the same
:class:`~simpleseg_agent.mockup.layout.ScreenLayout`
as a real Tk window in its own process (:mod:`._tk_layout_window`), so the model can be shown a
real window and an agent's click can be checked by the window itself:

* the window covers the screen from ``+0+0`` at the layout's size, without decorations
  (override-redirect); on an Xvfb of the layout's size it *is* the screen;
* surfaces (desktop, window, title bar, bars, sidebar) are canvas rectangles of the same colours;
  every element sits at its exact pixel box (``place``) with the same texts, colours and shapes;
* text uses the very font files Pillow used: the window process gets a private fontconfig setup
  that holds only the layout's family (regular and bold), so Tk's Xft picks the same glyphs at the
  same pixel size (``size=-px``) and hinting, placed at Pillow's pen position;
* icons (icon-button glyphs, the search glass, the check mark, the dropdown chevron) are small
  images painted by the Pillow engine's glyph code, as real toolkits show icons from image files;
* every interactive element (buttons, icon buttons, fields, checkboxes, toggles, dropdowns, menu
  items, tabs, sidebar items, links) is its own widget: a click on it prints
  ``CLICKED <element index> <text>`` on the process's stdout (buttons are ``tk.Canvas`` widgets that
  draw their rounded shape, or real ``tk.Button`` widgets with ``native_buttons=True``); a click
  anywhere else prints ``MISSED <x> <y>``. Elements do not change state when clicked, so the screen
  stays what the model saw.

The layouts come from the caller: the screen generator, or a fixture
(:func:`simpleseg_agent.fixtures.find_button_screen`).

Example (no display needed):
    >>> from simpleseg_agent.fixtures import find_button_screen
    >>> screen = find_button_screen("Submit")
    >>> layout_from_json(json.loads(json.dumps(layout_to_json(screen.layout)))) == screen.layout
    True
    >>> clickable_at(screen.layout, screen.element.center) == screen.element_index
    True
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..errors import SimpleSegError
from ..mockup.fonts import FontFamily
from ..mockup.layout import Element, ScreenLayout, Surface, Theme
from ._child import LineChild
from .screen import DisplayError

#: Element kinds that are widgets reporting their clicks (``text`` is drawn on the background).
CLICKABLE_KINDS: tuple[str, ...] = (
    "button", "icon_button", "text_field", "dropdown", "checkbox", "toggle", "menu_item", "tab", "nav_item", "link",
)


# layouts <-> JSON (the window process reads its layout from stdin) ------------------------------
def layout_to_json(layout: ScreenLayout) -> dict[str, Any]:
    """A JSON-ready dict of ``layout`` (read back by :func:`layout_from_json`)."""
    return asdict(layout)


def _t(value: Any) -> Any:
    return None if value is None else tuple(value)


def layout_from_json(data: Mapping[str, Any]) -> ScreenLayout:
    """The :class:`ScreenLayout` of a :func:`layout_to_json` dict (lists turned back into tuples).

    Raises:
        SimpleSegError: the dict is not a layout (a missing or unexpected field).
    """
    try:
        theme = Theme(**{k: (_t(v) if isinstance(v, list) else v) for k, v in data["theme"].items()})
        surfaces = [Surface(_t(s["box"]), _t(s["color"]), s["kind"]) for s in data["surfaces"]]
        elements = []
        for e in data["elements"]:
            e = dict(e)
            for key in ("box", "bg", "fill", "border", "ink", "origin"):
                e[key] = _t(e.get(key))
            e["state"] = {k: (_t(v) if isinstance(v, list) else v) for k, v in e.get("state", {}).items()}
            elements.append(Element(**e))
        return ScreenLayout(_t(data["size_wh"]), theme, FontFamily(**data["family"]), int(data["font_px"]),
                            str(data["title"]), surfaces, elements)
    except (KeyError, TypeError) as exc:
        raise SimpleSegError(f"not a screen layout (as written by layout_to_json): {type(exc).__name__}: {exc}") from None


def element_label(el: Element) -> str:
    """What a click report names an element by: its text, else its name (icons, checkboxes), else its kind.

    Example:
        >>> element_label(Element("icon_button", (0, 0, 10, 10), name="close"))
        'close'
    """
    return el.text or el.name or el.kind


def clickable_at(layout: ScreenLayout, xy_px: tuple[float, float]) -> int | None:
    """Index of the clickable element whose box holds the pixel ``xy_px`` (``None``: no element).

    Boxes are ``xyxy`` with exclusive ends, as in the layout (pixel ``(x, y)`` is inside when
    ``x0 <= x < x1`` and ``y0 <= y < y1``).
    """
    x, y = xy_px
    for i, el in enumerate(layout.elements):
        x0, y0, x1, y1 = el.box
        if el.kind in CLICKABLE_KINDS and x0 <= x < x1 and y0 <= y < y1:
            return i
    return None


# the window --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayoutEvent:
    """What the window reported: ``clicked`` an element (``index``, ``text``), or ``missed`` them all at ``xy``."""

    kind: Literal["clicked", "missed"]
    index: int | None = None
    text: str = ""
    xy: tuple[int, int] | None = None

    @classmethod
    def parse(cls, line: str) -> LayoutEvent | None:
        """The event of one stdout line of the window process (``None`` for other lines).

        Example:
            >>> LayoutEvent.parse("CLICKED 7 Save changes")
            LayoutEvent(kind='clicked', index=7, text='Save changes', xy=None)
            >>> LayoutEvent.parse("MISSED 12 30").xy, LayoutEvent.parse("READY")
            ((12, 30), None)
        """
        parts = line.rstrip("\n").split(" ", 2)
        try:
            if parts[0] == "CLICKED" and len(parts) >= 2:
                return cls("clicked", int(parts[1]), parts[2] if len(parts) > 2 else "")
            if parts[0] == "MISSED" and len(parts) == 3:
                return cls("missed", xy=(int(parts[1]), int(parts[2])))
        except ValueError:
            return None
        return None


_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{dir}</dir>
  <cachedir>{dir}/cache</cachedir>
  <match target="font">
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="hinting" mode="assign"><bool>true</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintfull</const></edit>
    <edit name="autohint" mode="assign"><bool>false</bool></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
    <edit name="embolden" mode="assign"><bool>false</bool></edit>
  </match>
</fontconfig>
"""


def fontconfig_dir(family: FontFamily) -> str | None:
    """A temporary folder with a ``fonts.conf`` that holds only ``family``'s font files, hinted as
    FreeType hints them for Pillow (full hinting, grayscale anti-aliasing, no synthetic bold).

    Point ``FONTCONFIG_FILE`` at ``<folder>/fonts.conf`` and Tk's Xft draws Pillow's glyphs: whatever
    family name Tk asks for, the only candidates are these files, the bold one for ``weight=bold``.
    ``None`` for Pillow's built-in font (no file Tk could load). The caller removes the folder.
    """
    files = [p for p in dict.fromkeys((family.regular, family.bold)) if p]
    if not files:
        return None
    folder = tempfile.mkdtemp(prefix="simpleseg-fonts-")
    for path in files:
        os.symlink(path, os.path.join(folder, os.path.basename(path)))
    with open(os.path.join(folder, "fonts.conf"), "w") as f:
        f.write(_FONTS_CONF.format(dir=folder))
    return folder


class LayoutWindow(LineChild):
    """``layout`` as a real Tk window at ``+0+0`` in a child process; see the module docstring.

    Args:
        layout: the screen to show.
        env: the child's environment (default: this process's); ``DISPLAY`` says where it appears.
        native_buttons: draw buttons as real ``tk.Button`` widgets (square corners) instead of
            ``tk.Canvas`` widgets that draw the layout's rounded shape.
        timeout_s: how long to wait for the window to be ready, or to answer :meth:`sync`.

    :meth:`sync` returns what the window handled since the last call (input sent before the call
    included); :meth:`close` stops the process by PID. Use it as a context manager.

    Raises:
        DisplayError: the window did not come up (no display, no Tk, the process died); the
            message holds the end of the child's stderr.
    """

    what = "layout window"

    def __init__(self, layout: ScreenLayout, *, env: Mapping[str, str] | None = None, native_buttons: bool = False,
                 timeout_s: float = 20.0) -> None:
        self.layout = layout
        self.timeout_s = timeout_s
        self._token = 0
        self._fonts = fontconfig_dir(layout.family)
        child_env = dict(os.environ if env is None else env)
        if self._fonts:
            child_env["FONTCONFIG_FILE"] = os.path.join(self._fonts, "fonts.conf")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "simpleseg_agent.agent._tk_layout_window"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env,
            )
        except BaseException:
            self._remove_fonts()
            raise
        self._start_reader()
        t0 = time.perf_counter()
        try:
            try:
                self.proc.stdin.write(json.dumps({"layout": layout_to_json(layout), "native_buttons": bool(native_buttons)}) + "\n")
                self.proc.stdin.flush()
            except OSError:  # the child died before reading its spec: _next reports its stderr
                pass
            self._next(lambda line: line == "READY")
        except BaseException:
            self.close()
            raise
        self.startup_s = time.perf_counter() - t0

    def sync(self) -> list[LayoutEvent]:
        """Every click the window handled since the last call, in order."""
        self._token += 1
        token = str(self._token)
        try:
            self.proc.stdin.write(f"ping {token}\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise DisplayError(f"the layout window is gone: {exc}") from exc
        seen: list[str] = []
        self._next(lambda line: line == f"PONG {token}", seen)
        return [e for e in map(LayoutEvent.parse, seen) if e is not None]

    def clicked(self) -> list[int]:
        """Indices of the elements clicked since the last :meth:`sync` (or call of this)."""
        return [e.index for e in self.sync() if e.kind == "clicked"]

    def _remove_fonts(self) -> None:
        if self._fonts:
            shutil.rmtree(self._fonts, ignore_errors=True)
            self._fonts = None

    def close(self) -> None:
        self._stop_child()
        self._remove_fonts()

    def __enter__(self) -> LayoutWindow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "CLICKABLE_KINDS", "LayoutEvent", "LayoutWindow", "clickable_at", "element_label", "fontconfig_dir",
    "layout_from_json", "layout_to_json",
]
