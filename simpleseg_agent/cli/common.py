"""What the command groups share: argument types, mask files, reading ``-`` as standard input."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..errors import ImageError


def size_wh(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"width and height must be positive, got {text!r}")
    return w, h


def text_arg(value: str) -> str:
    """``-`` reads the text from standard input."""
    return sys.stdin.read() if value == "-" else value


def read_mask_png(path: str | Path) -> np.ndarray:
    """Read a mask image: any pixel above 0 is foreground (0/1 and 0/255 PNGs both work).

    Example:
        >>> import tempfile, os
        >>> from PIL import Image
        >>> p = os.path.join(tempfile.mkdtemp(), "m.png")
        >>> Image.fromarray(np.array([[0, 255], [0, 0]], np.uint8)).save(p)
        >>> read_mask_png(p).tolist()
        [[False, True], [False, False]]
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("L"))
    except FileNotFoundError:
        raise ImageError(f"mask file not found: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"cannot read mask image {path}: {exc}") from None
    return arr > 0


def write_mask_png(mask: np.ndarray, path: str | Path) -> Path:
    """Write a bool mask as a 0/255 grayscale PNG (parent folders created)."""
    from PIL import Image

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask.astype(np.uint8) * 255).save(out, format="PNG")
    return out


def region_from_text(text: str, *, space: str = "norm", size: tuple[int, int] | None = None):
    from ..geometry import Region
    from ..grammar import parse_answer

    parsed = parse_answer(text, kind="polygons", space=space, resolution_wh=size)
    return Region.from_polygons(parsed.polygons_xy_norm), parsed


def floats(n: int):
    def parse(text: str) -> tuple[float, ...]:
        try:
            values = tuple(float(v) for v in text.replace(" ", "").split(","))
        except ValueError:
            values = ()
        if len(values) != n:
            raise argparse.ArgumentTypeError(f"expected {n} comma-separated numbers, got {text!r}")
        return values

    return parse
