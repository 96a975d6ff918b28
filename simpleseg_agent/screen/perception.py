"""A screenshot's perception, computed once: its words (OCR) and its element boxes (from pixels).

:class:`Perceiver` reads screens with an OCR engine (:mod:`.ocr`) and keeps the last ``cache_size``
screens it perceived, keyed by their pixels, so several queries on one screenshot pay for one reading.
The cache is explicit: :meth:`Perceiver.clear_cache` empties it (a screen that changed under the same
pixels cannot happen, but a caller that wants memory back can). One perceiver is safe to share between
threads: a screen asked for by two threads at once is read once.

Example (a blank screen has no words and no elements):
    >>> from PIL import Image
    >>> p = ScreenPerception.from_image(Image.new("RGB", (64, 32), "white"), words=[])
    >>> p.words, p.boxes.shape, p.image_wh
    ([], (0, 4), (64, 32))
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future

import numpy as np
from PIL import Image

from .ocr import TextEngine, available_engine, get_engine
from .words import ScreenWord

#: Screens a :class:`Perceiver` remembers.
DEFAULT_CACHE_SIZE = 8


class ScreenPerception:
    """What one screenshot shows: ``words`` (read by ``engine`` in ``read_s`` seconds) and, computed on
    first use from ``rgb``, ``boxes``: the ``(N, 4)`` ``xyxy_px`` element boxes
    (:func:`~simpleseg_agent.screen.elements.element_boxes`)."""

    def __init__(self, image_wh: tuple[int, int], words: list[ScreenWord], *, boxes: np.ndarray | None = None,
                 rgb: np.ndarray | None = None, engine: str = "", read_s: float = 0.0) -> None:
        self.image_wh = (int(image_wh[0]), int(image_wh[1]))
        self.words = list(words)
        self.boxes_ = None if boxes is None else np.asarray(boxes, dtype=float).reshape(-1, 4)
        self.rgb = rgb
        self.engine = engine
        self.read_s = read_s
        self.second = None  # a callable giving another engine's perception of the same screen (read when called)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ScreenPerception(image_wh={self.image_wh}, words={len(self.words)}, engine={self.engine!r})"

    @classmethod
    def from_image(cls, image: Image.Image, *, words: list[ScreenWord], engine: str = "", read_s: float = 0.0):
        """The perception of ``image`` given its ``words``; its boxes come from its pixels when asked for."""
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        return cls(image.size, words, rgb=rgb, engine=engine, read_s=read_s)

    @property
    def boxes(self) -> np.ndarray:
        """The element boxes (``(N, 4)`` ``xyxy_px``), from the pixels on first use."""
        with self._lock:
            if self.boxes_ is None:
                if self.rgb is None:
                    self.boxes_ = np.zeros((0, 4))
                else:
                    from .elements import element_boxes

                    self.boxes_ = element_boxes(self.rgb, gaps_px=(1, 2))
            return self.boxes_


class _SecondReading:
    """Another engine's perception of the same screen, read once, on first call, sharing the first's boxes."""

    def __init__(self, first: ScreenPerception, engine: TextEngine, image: Image.Image) -> None:
        self.first, self.engine, self.image = first, engine, image.copy()
        self._lock = threading.Lock()
        self._done: ScreenPerception | None = None

    def __call__(self) -> ScreenPerception:
        with self._lock:
            if self._done is None:
                t0 = time.perf_counter()
                words = self.engine.read(self.image)
                p = ScreenPerception(self.first.image_wh, words, rgb=self.first.rgb, engine=self.engine.name,
                                     read_s=time.perf_counter() - t0)
                p.boxes_ = self.first.boxes
                self._done = p
                self.image = None
            return self._done


class Perceiver:
    """Perceives screens with one OCR engine and remembers the last ``cache_size`` of them.

    Args:
        engine: an engine name (``"auto"``, ``"tesseract"``, ``"rapidocr"``, ``"tesseract+rapidocr"``: the
            second read only where the first spells a query's words in part) or a
            :class:`~simpleseg_agent.screen.ocr.TextEngine`.
        cache_size: screens remembered (by their pixels); 0 remembers none.

    Example (needs ``tesseract``):
        >>> from simpleseg_agent.screen.words import tesseract_path
        >>> perceiver = Perceiver("tesseract")
        >>> img = Image.new("RGB", (120, 40), "white")
        >>> perceiver.perceive(img).words if tesseract_path() else []
        []
        >>> perceiver.clear_cache(); len(perceiver)
        0
    """

    def __init__(self, engine: str | TextEngine = "auto", *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        if isinstance(engine, str):
            name = (available_engine("auto") or "tesseract") if engine == "auto" else engine
            first, _, second = name.partition("+")
            self.engine: TextEngine = get_engine(first)
            self.second_engine: TextEngine | None = get_engine(second) if second else None
        else:
            self.engine, self.second_engine = engine, None
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[str, Future] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    @staticmethod
    def key(image: Image.Image) -> str:
        """The cache key of ``image``: a hash of its RGB pixels and size."""
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        return hashlib.sha1(rgb.tobytes() + repr(rgb.shape).encode()).hexdigest()

    def perceive(self, image: Image.Image) -> ScreenPerception:
        """The perception of ``image``: read now, or found in the cache (a reading in progress in another
        thread is waited for, not repeated). Raises what the engine raises."""
        key = self.key(image)
        with self._lock:
            future = self._cache.get(key)
            mine = future is None
            if mine:
                future = Future()
                if self.cache_size > 0:
                    self._cache[key] = future
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
        if not mine:
            return future.result()
        try:
            t0 = time.perf_counter()
            words = self.engine.read(image)
            p = ScreenPerception.from_image(image, words=words, engine=self.engine.name, read_s=time.perf_counter() - t0)
            if self.second_engine is not None:
                p.second = _SecondReading(p, self.second_engine, image)
        except BaseException as exc:
            with self._lock:
                if self._cache.get(key) is future:
                    del self._cache[key]  # a failed reading is not remembered
            future.set_exception(exc)
            raise
        future.set_result(p)
        return p

    def clear_cache(self) -> None:
        """Forget every screen perceived so far."""
        with self._lock:
            self._cache.clear()


__all__ = ["DEFAULT_CACHE_SIZE", "Perceiver", "ScreenPerception"]
