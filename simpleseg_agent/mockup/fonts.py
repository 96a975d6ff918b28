"""The fonts screens are drawn with: a fixed list of families, found on this machine, loaded once.

The families are those of the Debian packages ``fonts-dejavu-core``, ``fonts-dejavu-extra``,
``fonts-liberation2``, ``fonts-roboto-unhinted``, ``fonts-open-sans``, ``fonts-cantarell`` and ``fonts-lato``;
without any of them, Pillow's built-in font. A machine with other fonts draws other pixels.

Example:
    >>> family = available_fonts()[0]
    >>> load_font(family.regular, 16).size
    16
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont


@dataclass(frozen=True)
class FontFamily:
    """A font family found on this machine: its CSS name and the regular and bold files."""

    name: str
    regular: str | None
    bold: str | None


#: The families looked for, in order: (name, regular file, bold file).
FONT_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("DejaVu Sans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("DejaVu Sans Condensed", "DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    ("DejaVu Serif", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    ("Liberation Sans", "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("Liberation Serif", "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    ("Roboto", "Roboto-Regular.ttf", "Roboto-Bold.ttf"),
    ("Open Sans", "OpenSans-Regular.ttf", "OpenSans-Bold.ttf"),
    ("Cantarell", "Cantarell-Regular.otf", "Cantarell-Bold.otf"),
    ("Lato", "Lato-Regular.ttf", "Lato-Bold.ttf"),
)
_FONT_DIRS: tuple[str, ...] = ("/usr/share/fonts", "/usr/local/share/fonts")
#: Pillow's built-in scalable font, used when none of the families is installed.
FALLBACK_FAMILY = FontFamily("Pillow default", None, None)


@functools.lru_cache(maxsize=4)
def available_fonts(font_dirs: tuple[str, ...] = _FONT_DIRS) -> tuple[FontFamily, ...]:
    """The known families installed under ``font_dirs`` (in a fixed order), or the fallback.

    Example:
        >>> available_fonts()[0].name in {"DejaVu Sans", "Pillow default"} or len(available_fonts()) > 0
        True
    """
    files: dict[str, str] = {}
    for d in font_dirs:
        root = Path(d)
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                if p.suffix.lower() in (".ttf", ".otf"):
                    files.setdefault(p.name, str(p))
    found = tuple(
        FontFamily(name, files[reg], files.get(bold, files[reg])) for name, reg, bold in FONT_FAMILIES if reg in files
    )
    return found or (FALLBACK_FAMILY,)


@functools.lru_cache(maxsize=512)
def load_font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    """A cached font of ``size`` pixels (``path=None``: Pillow's built-in font).

    Example:
        >>> load_font(None, 12).size
        12
    """
    if path is None:
        return ImageFont.load_default(size=size)  # type: ignore[return-value]
    return ImageFont.truetype(path, size=size, layout_engine=ImageFont.Layout.BASIC)
