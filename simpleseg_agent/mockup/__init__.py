"""Mock-up screens: a GUI screen described element by element (boxes, texts, colours, states), and drawn.

The description (:mod:`.layout`) and the Pillow drawing (:mod:`.draw`, with the fonts of :mod:`.fonts`) sit
below both of their users: the screen generator of the training data builds layouts and draws them, and the
demo and the tests show layouts as real Tk windows (:class:`~simpleseg_agent.agent.tk_layout.LayoutWindow`).

Example:
    >>> from simpleseg_agent.mockup import Element, ScreenLayout, Surface, Theme, available_fonts, render_pil
    >>> theme = Theme("light", *([(240, 240, 240)] * 18), radius=0.3, round_icons=False)
    >>> layout = ScreenLayout((200, 80), theme, available_fonts()[0], 16, "Demo", [Surface((0, 0, 200, 80), (240, 240, 240), "window")],
    ...                       [Element("button", (20, 20, 120, 50), text="Submit", fill=(40, 90, 200), ink=(255, 255, 255))])
    >>> render_pil(layout).size
    (200, 80)
"""

from .draw import draw_element, draw_glyph, render_pil
from .fonts import FALLBACK_FAMILY, FONT_FAMILIES, FontFamily, available_fonts, load_font
from .layout import RGB, Box, Element, ScreenLayout, Surface, Theme, element_region, rounded_rect_px

__all__ = [
    "FALLBACK_FAMILY", "FONT_FAMILIES", "RGB", "Box", "Element", "FontFamily", "ScreenLayout", "Surface", "Theme",
    "available_fonts", "draw_element", "draw_glyph", "element_region", "load_font", "render_pil", "rounded_rect_px",
]
