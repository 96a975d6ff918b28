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


def add_server_arguments(p: argparse.ArgumentParser) -> None:
    """``--concurrency`` and ``--guided``: how a command talks to a model behind a server URL."""
    p.add_argument("--concurrency", type=int, default=None, metavar="N",
                   help="with a server URL: requests in flight at once (default 8; the server batches them)")
    p.add_argument("--guided", choices=["auto", "on", "off"], default=None,
                   help="with a server URL: send the answer grammar as guided decoding (vLLM's structured_outputs); "
                        "auto (default): where the server says it honours it (simpleseg serve) or is vLLM")


def server_kwargs(args: argparse.Namespace) -> dict:
    """The backend arguments of ``--concurrency`` / ``--guided``; an error where the model is not a server URL.

    Example:
        >>> ns = argparse.Namespace(model="http://h:8000/v1", concurrency=4, guided=None)
        >>> server_kwargs(ns)
        {'concurrency': 4}
    """
    from ..errors import SimpleSegError

    given = {k: v for k, v in (("concurrency", args.concurrency), ("guided", args.guided)) if v is not None}
    if not given:
        return {}
    if not str(args.model).startswith(("http://", "https://")):
        flags = ", ".join(f"--{k}" for k in given)
        raise SimpleSegError(f"{flags} applies to a server URL (--model http://host:port/v1); got the local model "
                             f"{args.model!r}, which batches queries itself (--batch-size)")
    if "concurrency" in given and given["concurrency"] < 1:
        raise SimpleSegError(f"--concurrency must be 1 or more, got {given['concurrency']}")
    return given


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
