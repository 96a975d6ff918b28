"""OCR engines that read a screen's words: Tesseract (a program) and PP-OCR run with ONNX Runtime.

Both return :class:`~simpleseg_agent.screen.words.ScreenWord` lists (a box in the screen's pixels, the
text, the line it was read in), so everything above them is engine-agnostic.

- ``tesseract`` (:class:`TesseractEngine`): the ``tesseract`` program on a difference image
  (:func:`~simpleseg_agent.screen.words.ocr_image`: light-on-dark text becomes dark on white), sparse
  text mode, one thread. Needs ``apt install tesseract-ocr``.
- ``rapidocr`` (:class:`RapidOcrEngine`): the PP-OCRv4 detector and recognizer as ONNX models, which ship
  inside the ``rapidocr_onnxruntime`` wheel (``pip install simpleseg-agent[ocr]``), on ONNX Runtime with
  one thread. It reads each text line's characters with their boxes; words are the runs between spaces.

Which engine the tools use by default (``"auto"``, :data:`AUTO_ORDER`) was chosen by measurement on the dev
split of the real-UI benchmark (``docs/grounding.md``). :func:`get_engine` makes one by name.

Example:
    >>> get_engine("tesseract").name
    'tesseract'
    >>> get_engine("nope")
    Traceback (most recent call last):
    ...
    simpleseg_agent.errors.ModelError: unknown OCR engine 'nope': choose one of auto, rapidocr, tesseract, tesseract+rapidocr
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np
from PIL import Image

from ..errors import ImageError, MissingDependencyError, ModelError
from .words import ScreenWord, read_screen, tesseract_path

#: What ``"auto"`` names, best first (measured on the real-UI benchmark's dev split, ``docs/grounding.md``):
#: Tesseract, then PP-OCR where Tesseract spells the query's words only in part; PP-OCR alone; Tesseract alone.
AUTO_ORDER = ("tesseract+rapidocr", "rapidocr", "tesseract")
ENGINE_NAMES = ("auto", "rapidocr", "tesseract", "tesseract+rapidocr")


class TextEngine(Protocol):
    """Reads a screen's words."""

    name: str

    def read(self, image: Image.Image) -> list[ScreenWord]:
        """The words of ``image`` (RGB), boxes in its pixels."""
        ...


class TesseractEngine:
    """The ``tesseract`` program (see :func:`~simpleseg_agent.screen.words.read_screen`).

    Example (needs ``tesseract``):
        >>> from PIL import ImageDraw, ImageFont
        >>> img = Image.new("RGB", (200, 60), "white")
        >>> ImageDraw.Draw(img).text((20, 15), "Submit", fill="black", font=ImageFont.load_default(size=24))
        >>> [w.text for w in TesseractEngine().read(img)] if tesseract_path() else ["Submit"]
        ['Submit']
    """

    name = "tesseract"

    def __init__(self, *, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s

    def read(self, image: Image.Image) -> list[ScreenWord]:
        return read_screen(image, timeout_s=self.timeout_s)


class RapidOcrEngine:
    """PP-OCRv4 (detection and recognition) on ONNX Runtime, one thread, from the ``rapidocr_onnxruntime``
    wheel; loaded on first use, once, however many threads read at the same time.

    Raises :class:`~simpleseg_agent.errors.MissingDependencyError` on first read where the wheel is not
    installed (``pip install simpleseg-agent[ocr]``).

    Example (needs the ``ocr`` extra):
        >>> from PIL import ImageDraw, ImageFont
        >>> img = Image.new("RGB", (240, 60), "white")
        >>> ImageDraw.Draw(img).text((20, 15), "Submit", fill="black", font=ImageFont.load_default(size=24))
        >>> import importlib.util
        >>> [w.text for w in RapidOcrEngine().read(img)] if importlib.util.find_spec("rapidocr_onnxruntime") else ["Submit"]
        ['Submit']
    """

    name = "rapidocr"

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = threads
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr_onnxruntime import RapidOCR
                except ImportError as exc:
                    raise MissingDependencyError("rapidocr_onnxruntime", "ocr", "reading the screen with PP-OCR") from exc
                self._engine = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=self.threads)
            return self._engine

    def read(self, image: Image.Image) -> list[ScreenWord]:
        engine = self._load()
        rgb = np.asarray(image.convert("RGB"))
        if rgb.size == 0:
            raise ImageError("cannot read an empty image")
        try:
            found, _ = engine(np.ascontiguousarray(rgb[:, :, ::-1]), return_word_box=True)
        except Exception as exc:  # the engine's own errors carry no common type
            raise ModelError(f"PP-OCR failed to read the screen: {exc}") from exc
        return rapid_words(found or [])


def rapid_words(found: list) -> list[ScreenWord]:
    """Words from PP-OCR's lines: each line ``[box, text, score, char_boxes, chars, ...]`` splits at its
    spaces, a word's box bounding its characters' boxes (the line's box split by character count where
    the characters were not boxed).

    Example:
        >>> line = [[[0, 0], [90, 0], [90, 10], [0, 10]], "Log in", 0.9]
        >>> [(w.text, w.xyxy_px) for w in rapid_words([line])]
        [('Log', (0.0, 0.0, 45.0, 10.0)), ('in', (60.0, 0.0, 90.0, 10.0))]
    """
    words: list[ScreenWord] = []
    for n, item in enumerate(found):
        box, text = np.asarray(item[0], dtype=float), str(item[1])
        x0, y0, x1, y1 = box[:, 0].min(), box[:, 1].min(), box[:, 0].max(), box[:, 1].max()
        chars = list(item[4]) if len(item) > 4 and item[4] is not None else None
        cboxes = item[3] if len(item) > 3 and item[3] is not None else None
        if chars is None or cboxes is None or len(chars) != len(cboxes) or "".join(chars) != text:
            chars = list(text)
            step = (x1 - x0) / max(len(chars), 1)
            cboxes = [[[x0 + k * step, y0], [x0 + (k + 1) * step, y1]] for k in range(len(chars))]
        run: list[int] = []
        for k in range(len(chars) + 1):
            if k < len(chars) and not chars[k].isspace():
                run.append(k)
                continue
            if run:
                pts = np.concatenate([np.asarray(cboxes[i], dtype=float).reshape(-1, 2) for i in run])
                words.append(ScreenWord((float(pts[:, 0].min()), float(y0), float(pts[:, 0].max()), float(y1)),
                                        "".join(chars[i] for i in run), n))
            run = []
    return words


def available_engine(name: str = "auto") -> str | None:
    """The engine ``name`` stands for on this machine (``"auto"``: the best installed, in the order of
    :data:`AUTO_ORDER`), or ``None`` where what it needs is not installed.

    Example:
        >>> available_engine("tesseract") in ("tesseract", None)
        True
    """
    if name not in ENGINE_NAMES:
        raise ModelError(f"unknown OCR engine {name!r}: choose one of {', '.join(ENGINE_NAMES)}")
    have = {"tesseract": tesseract_path() is not None, "rapidocr": _has_rapidocr()}
    for option in (AUTO_ORDER if name == "auto" else (name,)):
        if all(have[part] for part in option.split("+")):
            return option
    return None


def get_engine(name: str = "auto") -> TextEngine:
    """A new engine by name: ``"tesseract"``, ``"rapidocr"``, or ``"auto"`` (the first installed of
    :data:`AUTO_ORDER`'s single engines; a ``"first+second"`` name gives its first: see
    :class:`~simpleseg_agent.screen.perception.Perceiver` for the pair).

    Example:
        >>> get_engine("rapidocr").name
        'rapidocr'
    """
    if name not in ENGINE_NAMES:
        raise ModelError(f"unknown OCR engine {name!r}: choose one of {', '.join(ENGINE_NAMES)}")
    if name == "auto":
        name = available_engine("auto") or "tesseract"
    name = name.split("+")[0]
    return RapidOcrEngine() if name == "rapidocr" else TesseractEngine()


def _has_rapidocr() -> bool:
    import importlib.util

    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


__all__ = ["AUTO_ORDER", "ENGINE_NAMES", "RapidOcrEngine", "TesseractEngine", "TextEngine", "available_engine", "get_engine", "rapid_words"]
