"""Synthetic GUI screens with exact element polygons and referring expressions.

A screen is a window (title bar with controls; optionally a menu bar, a toolbar with a search
field, a sidebar, tabs) holding a form of widgets in columns: buttons, text fields, checkboxes,
toggles, dropdowns, icon buttons, links and text. Light, dark and colourful themes; the fonts
installed on the machine; sizes scaled by the font size. Every element becomes a
:class:`~simpleseg_agent.training.records.Record` with 1-3 expressions unique on its screen.

Polygons: an element's polygon is its box; rounded corners are followed by chords (the arc is cut
into the fewest segments that stay within ``corner_tolerance_px`` of it, so a small radius stays a
square corner and a pill-shaped toggle gets a few vertices per end). Boxes use pixel edges
(``x_norm = x_px / W``), the convention of :func:`~simpleseg_agent.geometry.region_to_mask`.

Example:
    >>> gen = GuiScreenGenerator(GuiSynthConfig(difficulty="easy"))
    >>> image, records = gen.screen(0, seed=0)
    >>> image.size == tuple(records[0].image_wh) and all(r.source == "gui-synth" for r in records)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ...mockup.layout import ScreenLayout, element_region
from ..records import Record
from ._common import (
    SynthConfigError,
    SynthSample,
    check_choice,
    check_range,
    choose_expressions,
    help_field,
    image_name,
    sample_rng,
)
from .gui_expressions import element_candidates
from .gui_layout import WIDGET_KINDS, layout_screen
from .gui_theme import THEMES

DIFFICULTIES: tuple[str, ...] = ("starter", "easy", "medium", "hard")
ENGINES: tuple[str, ...] = ("pil", "chromium")
_SALT = 0x67_75_69  # "gui": GUI screens draw from their own random streams

#: What each difficulty fills in for the fields left as ``None``.
GUI_PRESETS: dict[str, dict[str, Any]] = {
    # A smaller window anywhere on the desktop with a few elements: where things are cannot be
    # guessed from the layout's habits, so a model must look (a first curriculum stage).
    "starter": dict(width_range=(576, 704), height_range=(360, 440), elements_range=(2, 5), font_px_range=(18, 22),
                    columns_range=(1, 1), window_fill_range=(0.45, 0.8), menubar_prob=0.0, toolbar_prob=0.1,
                    tabs_prob=0.0, sidebar_prob=0.0, footer_prob=0.4),
    "easy": dict(width_range=(576, 704), height_range=(360, 440), elements_range=(5, 10), font_px_range=(20, 26),
                 columns_range=(1, 1), window_fill_range=(0.85, 1.0), menubar_prob=0.0, toolbar_prob=0.15,
                 tabs_prob=0.1, sidebar_prob=0.0, footer_prob=0.5),
    "medium": dict(width_range=(960, 1280), height_range=(600, 800), elements_range=(12, 24), font_px_range=(14, 18),
                   columns_range=(1, 2), window_fill_range=(0.6, 1.0), menubar_prob=0.35, toolbar_prob=0.35,
                   tabs_prob=0.3, sidebar_prob=0.25, footer_prob=0.6),
    "hard": dict(width_range=(1600, 1920), height_range=(900, 1080), elements_range=(40, 80), font_px_range=(11, 14),
                 columns_range=(2, 4), window_fill_range=(0.8, 1.0), menubar_prob=0.6, toolbar_prob=0.6,
                 tabs_prob=0.5, sidebar_prob=0.5, footer_prob=0.7),
}


@dataclass
class GuiSynthConfig:
    """How synthetic GUI screens look. Fields left ``None`` come from the ``difficulty`` preset."""

    difficulty: str = help_field("easy", "preset for the fields left unset: starter (a small window anywhere on a "
                                         "~640x400 desktop, 2-5 elements), easy (few large elements, ~640x400, "
                                         "large fonts), medium, hard (dense, ~1920x1080, small fonts)")
    engine: str = help_field("pil", "renderer: pil (built in) or chromium (Debian's headless browser; apt install chromium)")
    width_range: tuple[int, int] | None = help_field(None, "screen width in pixels, (min, max)")
    height_range: tuple[int, int] | None = help_field(None, "screen height in pixels, (min, max)")
    elements_range: tuple[int, int] | None = help_field(None, "elements per screen, (min, max); the layout may place fewer")
    font_px_range: tuple[int, int] | None = help_field(None, "font size in pixels, (min, max); element sizes follow it")
    columns_range: tuple[int, int] | None = help_field(None, "form columns, (min, max); fewer when the window is narrow")
    window_fill_range: tuple[float, float] | None = help_field(None, "window size as a fraction of the screen, (min, max)")
    menubar_prob: float | None = help_field(None, "probability of a menu bar")
    toolbar_prob: float | None = help_field(None, "probability of a toolbar with icon buttons and a search field")
    tabs_prob: float | None = help_field(None, "probability of a tab strip")
    sidebar_prob: float | None = help_field(None, "probability of a sidebar with navigation items")
    footer_prob: float | None = help_field(None, "probability of a button row at the bottom of the window")
    themes: tuple[str, ...] = help_field(THEMES, "themes to draw from: light, dark, colorful")
    widgets: tuple[str, ...] = help_field(WIDGET_KINDS, "element kinds to place (title-bar controls and title are always there)")
    fonts: tuple[str, ...] | None = help_field(None, "font family names to use (default, or when none of them is "
                                                         "installed: every known family installed)")
    max_expressions: int = help_field(3, "referring expressions per element, at most (1-3 typical)")
    corner_tolerance_px: float = help_field(1.0, "how far a polygon may cut into a rounded corner, in pixels")

    def __post_init__(self) -> None:
        check_choice("difficulty", self.difficulty, DIFFICULTIES)
        check_choice("engine", self.engine, ENGINES)
        for k, v in GUI_PRESETS[self.difficulty].items():
            if getattr(self, k) is None:
                setattr(self, k, v)
        for name in ("width_range", "height_range"):
            setattr(self, name, check_range(name, tuple(getattr(self, name)), low=64, high=8192))
        self.elements_range = check_range("elements_range", tuple(self.elements_range), low=1, high=500)
        self.font_px_range = check_range("font_px_range", tuple(self.font_px_range), low=6, high=96)
        self.columns_range = check_range("columns_range", tuple(self.columns_range), low=1, high=12)
        self.window_fill_range = check_range("window_fill_range", tuple(self.window_fill_range), low=0.2, high=1.0,
                                             integer=False)
        for name in ("menubar_prob", "toolbar_prob", "tabs_prob", "sidebar_prob", "footer_prob"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
                raise SynthConfigError(f"{name} must be a probability in [0, 1], got {v!r}")
        self.themes, self.widgets = tuple(self.themes), tuple(self.widgets)
        if not self.themes:
            raise SynthConfigError(f"themes is empty; pass some of {THEMES}")
        for t in self.themes:
            check_choice("themes entry", t, THEMES)
        for w in self.widgets:
            check_choice("widgets entry", w, WIDGET_KINDS)
        if self.fonts is not None:
            self.fonts = tuple(self.fonts)
        f_lo = self.font_px_range[0]
        if self.width_range[0] < 24 * f_lo or self.height_range[0] < 12 * f_lo:
            raise SynthConfigError(
                f"screens of {self.width_range[0]}x{self.height_range[0]} px are too small for {f_lo} px text: "
                f"use a width of at least {24 * f_lo} and a height of at least {12 * f_lo}, or smaller fonts"
            )
        if isinstance(self.max_expressions, bool) or not isinstance(self.max_expressions, int) or self.max_expressions < 1:
            raise SynthConfigError(f"max_expressions must be an integer >= 1, got {self.max_expressions!r}")
        if not (isinstance(self.corner_tolerance_px, (int, float)) and self.corner_tolerance_px > 0):
            raise SynthConfigError(f"corner_tolerance_px must be a positive number of pixels, got {self.corner_tolerance_px!r}")


class GuiScreenGenerator:
    """Generate screens: ``screen(i, seed)`` gives one image and its records; ``generate`` writes a folder.

    The Chromium engine keeps one browser running; call :meth:`close` (or use ``with``) when done.
    """

    source = "gui-synth"

    def __init__(self, config: GuiSynthConfig | None = None) -> None:
        self.config = config or GuiSynthConfig()
        self._browser = None

    def __enter__(self) -> GuiScreenGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None

    def layout(self, index: int, seed: int = 0) -> ScreenLayout:
        """The layout of screen ``index`` (before rendering)."""
        return layout_screen(self.config, sample_rng(seed, index, _SALT))

    def sample(self, index: int, seed: int = 0) -> SynthSample:
        cfg = self.config
        rng = sample_rng(seed, index, _SALT)
        layout = layout_screen(cfg, rng)
        if cfg.engine == "chromium":
            from .gui_chromium import ChromiumRenderer

            if self._browser is None:
                self._browser = ChromiumRenderer()
            image = self._browser.render(layout)
        else:
            from ...mockup.draw import render_pil

            image = render_pil(layout)
        chosen = choose_expressions(element_candidates(layout), rng, cfg.max_expressions)
        records = []
        th = layout.theme
        for i, (el, exprs) in enumerate(zip(layout.elements, chosen)):
            if not el.target or not exprs:
                continue
            records.append(Record(
                image_path=image_name(index),
                image_wh=layout.size_wh,
                expressions=[c.text for c in exprs],
                region=element_region(el, layout.size_wh, cfg.corner_tolerance_px),
                label=el.kind,
                source=self.source,
                record_id=f"{index:06d}-{i:03d}",
                meta={
                    "text": el.text, "name": el.name, "group": el.group, "role": el.role,
                    "how": [c.how for c in exprs], "box_px": list(el.box), "bg_rgb": list(el.bg),
                    "theme": th.name, "font": layout.family.name, "font_px": layout.font_px,
                    "difficulty": cfg.difficulty, "engine": cfg.engine, "seed": int(seed), "index": int(index),
                },
            ))
        return SynthSample(image, records)

    def screen(self, index: int, seed: int = 0) -> tuple[Image.Image, list[Record]]:
        """Screen ``index`` of the run with ``seed``: ``(PIL image, records)``."""
        s = self.sample(index, seed)
        return s.image, s.records

    def generate(self, n: int, out_dir: str | Path, seed: int = 0, **kwargs: Any):
        """Write ``n`` screens to ``out_dir`` (``images/`` + ``records.jsonl``); see :func:`.dataset.write_dataset`."""
        from .dataset import write_dataset

        return write_dataset(self, n, out_dir, seed=seed, **kwargs)

