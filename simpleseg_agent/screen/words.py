"""The screen's words (OCR), so that snapping can prefer the element a text query names.

The default model cannot read: a label on its input is about one image token high, and most of its
snapped misses land on another element of the asked kind ("the Save button" on "Cancel"). The words,
though, are on the screen. :func:`read_screen` reads them with the Tesseract OCR engine (the
``tesseract`` program; Debian/Ubuntu ``apt install tesseract-ocr``), and :func:`text_match` says how
well each snapping candidate's words match the query. Snapping adds the decoding's ``read_weight``
nats per unit of match to the model's score of each candidate
(:class:`~simpleseg_agent.tools.Decoding` ``read_text``), so the model still decides the kind of
element and the words decide between elements of that kind.

A candidate's match is the fraction of its own words (the words whose centre lies in its box) found in
the query, so a button reading "Save" matches "the Save button" fully and the window around it, with
twenty other words, hardly at all. A candidate with no matching word of its own (a checkbox, a switch,
a text field) takes :data:`NEIGHBOUR_SHARE` of the share of the query's words written next to it (its
label: left or right on its row, or just above, whole lines), and all of it when the query names a
control without words (:data:`WORDLESS_CONTROLS`), so "the Wi-Fi switch" finds the switch beside "Wi-Fi"
as much as the label itself, and the model's sense of kinds decides between them. A checkbox, switch or
radio button is labelled on its row (:data:`ROW_LABELLED_CONTROLS`): for a query naming one, words above
a candidate do not count, so the checkbox under "Keep me signed in" does not take that label from its
own. (A button beside the named one gets half as much as the named one, so a label read next to a
control still points at it, while the named element itself keeps the larger share.)
Words match when they are at least :data:`WORD_SIMILARITY` alike (case and punctuation aside), which
forgives the engine a letter; an element's words must match one of the query's other than its glue
words (:data:`FUNCTION_WORDS`), so a stray "the" matches no query.

The engine reads a difference image: each pixel's distance from the median of its 21 x 21 px
neighbourhood (the local background), at twice the size. Dark text on light, light text on dark and
white text on a coloured button all become dark strokes on white, which is what Tesseract reads best.

Example (words as the engine would report them; a real screen is read with :func:`read_screen`):
    >>> from simpleseg_agent.screen.elements import SnapCandidate
    >>> words = [ScreenWord((10, 10, 40, 20), "Save"), ScreenWord((60, 10, 100, 20), "Cancel")]
    >>> cands = [SnapCandidate((5, 5, 45, 25), 0.0), SnapCandidate((55, 5, 105, 25), 0.0), SnapCandidate((0, 0, 120, 40), 0.0)]
    >>> text_match("the Save button", cands, words)
    [1.0, 0.5, 0.5]
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import ImageError, MissingProgramError, ModelError

#: Nats per unit of match where ``read_text=True`` is asked of a decoding without a ``read_weight``
#: (the shipped model's setting).
DEFAULT_READ_WEIGHT = 7.0
#: The OCR program :func:`read_screen` runs.
TESSERACT = "tesseract"
#: How to install it.
INSTALL_TESSERACT = "apt install tesseract-ocr (Debian/Ubuntu) or brew install tesseract (macOS)"
#: Words at least this alike (``difflib`` ratio of their lower-case letters and digits) match.
WORD_SIMILARITY = 0.8
#: What a candidate without matching words of its own gets per unit of the query's words beside it.
NEIGHBOUR_SHARE = 0.5
#: Kinds of control that show no words of their own: a query naming one ("the Wi-Fi switch") takes
#: its label for its words in full (:data:`NEIGHBOUR_SHARE` of them otherwise).
WORDLESS_CONTROLS = frozenset({"checkbox", "toggle", "switch", "radio", "slider"})
#: Controls whose label is written on their own row: for a query naming one, a label above a candidate
#: is not its label (it belongs to the control on the label's row, or the one above the candidate).
ROW_LABELLED_CONTROLS = frozenset({"checkbox", "toggle", "switch", "radio"})
#: The words of a query that name a kind of element or glue words together, not what it says.
QUERY_STOPWORDS = frozenset(
    "a an the of to at in on is it that and with button field text input checkbox toggle switch dropdown menu "
    "item tab sidebar link label labeled heading title window note icon placeholder containing showing".split())
#: The query's glue words: an element whose words match only these ("the" read off a glyph) matches nothing.
FUNCTION_WORDS = frozenset("a an the of to at in on is it that and with".split())
#: Words of one or two characters the engine is less sure of than this (0-100) are dropped: a button's rounded
#: corner or an icon's stroke read as "a" or "XN".
JUNK_CONFIDENCE = 50.0
#: Side (px) of the neighbourhood whose median is a pixel's background for :func:`read_screen`.
BACKGROUND_PX = 21
#: :func:`read_screen` reads the screen at this many times its size.
UPSCALE = 2


@dataclass(frozen=True)
class ScreenWord:
    """One word the engine read: its box (``xyxy_px``, in the screen's pixels), its ``text``, and the
    ``line`` of text the engine read it in (words of one line share it; -1: not known)."""

    xyxy_px: tuple[float, float, float, float]
    text: str
    line: int = -1


def tesseract_path() -> str | None:
    """The path of the ``tesseract`` program, or ``None`` where it is not installed.

    Example:
        >>> tesseract_path() is None or tesseract_path().endswith("tesseract")
        True
    """
    return shutil.which(TESSERACT)


def normalize_word(word: str) -> str:
    """A word as words are compared: lower case, letters and digits only.

    Example:
        >>> normalize_word("Wi-Fi:"), normalize_word("ÄB")
        ('wifi', 'b')
    """
    return re.sub(r"[^a-z0-9]", "", word.lower())


def ocr_image(image: Image.Image | np.ndarray) -> Image.Image:
    """The grey image :func:`read_screen` hands the engine: every pixel's distance from its local
    background (the median of :data:`BACKGROUND_PX` square), dark on white, at :data:`UPSCALE` times
    the size.

    Example:
        >>> img = np.full((40, 80, 3), 30, np.uint8); img[15:25, 20:60] = 230  # light strokes on dark
        >>> out = np.asarray(ocr_image(img)); out.shape, int(out[0, 0]), int(out[40, 80]) < 60
        ((80, 160), 255, True)
    """
    import cv2

    rgb = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    if rgb.ndim == 3 and rgb.shape[2] >= 3:
        grey = cv2.cvtColor(np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8), cv2.COLOR_RGB2GRAY)
    elif rgb.ndim == 2:
        grey = rgb.astype(np.uint8)
    else:
        raise ImageError(f"reading needs an (H, W, 3) or (H, W) image, got shape {rgb.shape}")
    background = cv2.medianBlur(grey, BACKGROUND_PX)
    diff = 255 - cv2.absdiff(grey, background)
    h, w = diff.shape
    return Image.fromarray(diff).resize((w * UPSCALE, h * UPSCALE), Image.LANCZOS)


def read_screen(image: Image.Image | np.ndarray, *, timeout_s: float = 30.0) -> list[ScreenWord]:
    """The words on a screen, each with its box in the screen's pixels, read by Tesseract (sparse text,
    ``--psm 11``, on :func:`ocr_image` at its true resolution, ``--dpi``; one thread).

    Raises :class:`~simpleseg_agent.errors.MissingProgramError` (a ``MissingDependencyError``) when the
    ``tesseract`` program is not installed and :class:`~simpleseg_agent.errors.ModelError` when it fails or runs past ``timeout_s``.

    Example (needs ``tesseract``; one black word on white):
        >>> from PIL import ImageDraw, ImageFont
        >>> img = Image.new("RGB", (200, 60), "white")
        >>> ImageDraw.Draw(img).text((20, 15), "Submit", fill="black", font=ImageFont.load_default(size=24))
        >>> [w.text for w in read_screen(img)] if tesseract_path() else ["Submit"]
        ['Submit']
    """
    exe = tesseract_path()
    if exe is None:
        raise MissingProgramError(TESSERACT, INSTALL_TESSERACT, "reading the screen's words")
    prepared = ocr_image(image)
    buf = io.BytesIO()
    prepared.save(buf, format="PNG")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        # the image is UPSCALE times a 96 dpi screen: told so, the engine sizes its text right (left to guess,
        # it misjudges plain outlined buttons and reads nothing on them)
        done = subprocess.run([exe, "stdin", "stdout", "--psm", "11", "--dpi", str(96 * UPSCALE), "tsv"], input=buf.getvalue(),
                              capture_output=True, timeout=timeout_s, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"tesseract did not finish reading the screen in {timeout_s:g} s") from exc
    except OSError as exc:
        raise ModelError(f"tesseract could not be run: {exc}") from exc
    if done.returncode != 0:
        raise ModelError(f"tesseract failed (exit {done.returncode}): {done.stderr.decode(errors='replace')[-300:]}")
    return parse_tsv(done.stdout.decode("utf-8", errors="replace"), scale=UPSCALE)


def parse_tsv(tsv: str, *, scale: float = 1.0) -> list[ScreenWord]:
    """The words of Tesseract's TSV output (level-5 rows with text), boxes divided by ``scale``.

    Example:
        >>> head = "level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext"
        >>> parse_tsv(head + "\\n5\\t1\\t1\\t1\\t1\\t1\\t20\\t10\\t40\\t16\\t96.1\\tSave\\n", scale=2)
        [ScreenWord(xyxy_px=(10.0, 5.0, 30.0, 13.0), text='Save', line=0)]
    """
    words: list[ScreenWord] = []
    lines: dict[tuple[str, str, str], int] = {}
    for line in tsv.splitlines()[1:]:
        f = line.split("\t")
        if len(f) != 12 or f[0] != "5" or not f[11].strip():
            continue
        try:
            x, y, w, h, conf = int(f[6]), int(f[7]), int(f[8]), int(f[9]), float(f[10])
        except ValueError:
            continue
        if conf <= 0 or (conf < JUNK_CONFIDENCE and len(f[11].strip()) <= 2):
            continue  # a rounded corner or an icon's stroke read as a letter or two
        n = lines.setdefault((f[2], f[3], f[4]), len(lines))
        words.append(ScreenWord((x / scale, y / scale, (x + w) / scale, (y + h) / scale), f[11].strip(), n))
    return words


def _owns(xyxy_px: Sequence[float], word_xyxy: Sequence[float]) -> bool:
    """Whether a word is the box's own: its centre lies in the box, with 2 px of slack."""
    x0, y0, x1, y1 = xyxy_px
    cx, cy = (word_xyxy[0] + word_xyxy[2]) / 2, (word_xyxy[1] + word_xyxy[3]) / 2
    return x0 - 2 <= cx <= x1 + 2 and y0 - 2 <= cy <= y1 + 2


def _found(word: str, among: Sequence[str]) -> bool:
    return any(difflib.SequenceMatcher(None, word, other).ratio() >= WORD_SIMILARITY for other in among)


def text_match(query: str, candidates: Sequence, words: Sequence[ScreenWord]) -> list[float]:
    """How well each candidate (anything with ``xyxy_px``, such as a
    :class:`~simpleseg_agent.screen.elements.SnapCandidate`) matches the words ``query`` names, 0-1 (see
    the module docstring).

    Example (a switch with its label to its left):
        >>> from simpleseg_agent.screen.elements import SnapCandidate
        >>> words = [ScreenWord((10, 10, 50, 22), "Wi-Fi")]
        >>> text_match("the Wi-Fi switch", [SnapCandidate((70, 8, 100, 24), 0.0), SnapCandidate((5, 5, 55, 27), 0.0)], words)
        [1.0, 1.0]
    """
    query_words = [w for w in (normalize_word(t) for t in query.split()) if w]
    content = [w for w in query_words if w not in QUERY_STOPWORDS and len(w) >= 2]
    named = [w for w in query_words if w not in FUNCTION_WORDS]
    share = 1.0 if any(w in WORDLESS_CONTROLS for w in query_words) else NEIGHBOUR_SHARE
    on_row = any(w in ROW_LABELLED_CONTROLS for w in query_words)
    placed = [(w.xyxy_px, normalize_word(w.text)) for w in words]
    placed = [(b, t) for b, t in placed if len(t) >= 2]
    out: list[float] = []
    for cand in candidates:
        x0, y0, x1, y1 = cand.xyxy_px
        own: list[str] = []
        near: list[int] = []
        h = max(y1 - y0, 1.0)
        top = y0 - 2 if on_row else y0 - 1.5 * h  # a field's label may sit above it, a checkbox's not
        for i, ((a, b, c, d), t) in enumerate(placed):
            cx, cy = (a + c) / 2, (b + d) / 2
            if _owns(cand.xyxy_px, (a, b, c, d)):
                own.append(t)
            elif x0 - 4 * h <= cx <= x1 + 4 * h and top <= cy <= y1 + 2:
                near.append(i)
        score = 0.0
        if own and any(_found(t, named) for t in own):  # "Sign in" matches by "sign", a lone "the" by nothing
            score = sum(_found(t, query_words) for t in own) / len(own)
        if score == 0 and near and content:
            beside = [placed[i][1] for i in _whole_lines(placed, near)]
            score = share * sum(_found(t, beside) for t in content) / len(content)
        out.append(float(score))
    return out


def words_in(xyxy_px: Sequence[float], words: Sequence[ScreenWord]) -> str:
    """The words whose centre lies in the box ``xyxy_px`` (2 px of slack), in reading order (lines top to
    bottom, left to right in each).

    Example:
        >>> words_in((0, 0, 100, 30), [ScreenWord((50, 5, 90, 20), "changes"), ScreenWord((5, 5, 45, 20), "Save"),
        ...                            ScreenWord((5, 40, 45, 55), "Cancel")])
        'Save changes'
    """
    inside = [w for w in words if _owns(xyxy_px, w.xyxy_px)]
    lines: list[list[ScreenWord]] = []
    for w in sorted(inside, key=lambda w: (w.xyxy_px[1] + w.xyxy_px[3]) / 2):
        cy, h = (w.xyxy_px[1] + w.xyxy_px[3]) / 2, w.xyxy_px[3] - w.xyxy_px[1]
        last = lines[-1][-1] if lines else None
        if last is not None and abs(cy - (last.xyxy_px[1] + last.xyxy_px[3]) / 2) <= max(h, 1.0) / 2:
            lines[-1].append(w)
        else:
            lines.append([w])
    return " ".join(w.text for line in lines for w in sorted(line, key=lambda w: w.xyxy_px[0]))


def _whole_lines(placed: Sequence[tuple[tuple[float, float, float, float], str]], start: list[int]) -> list[int]:
    """``start`` (indices into ``placed``) with the words that continue their lines: on the same row and
    at most a word's height apart, so that a long label counts whole."""
    chosen = set(start)
    grew = True
    while grew:
        grew = False
        for i, ((a, b, c, d), _t) in enumerate(placed):
            if i in chosen:
                continue
            for j in list(chosen):
                (p, q, r, s), _u = placed[j]
                same_row = min(d, s) - max(b, q) > 0.5 * min(d - b, s - q)
                if same_row and max(a - r, p - c) <= max(d - b, s - q):
                    chosen.add(i)
                    grew = True
                    break
    return sorted(chosen)


class ScreenReader:
    """Reads screens in a background thread (the engine runs while the model scores), and remembers
    the last ``cache_size`` screens it read, by their pixels.

    Example (needs ``tesseract``):
        >>> reader = ScreenReader()
        >>> img = Image.new("RGB", (120, 40), "white")
        >>> reader.words(img) if tesseract_path() else []
        []
    """

    def __init__(self, *, cache_size: int = 8, timeout_s: float = 30.0) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simpleseg-read")
        self._cache: OrderedDict[str, Future] = OrderedDict()
        self._lock = threading.Lock()
        self.cache_size = cache_size
        self.timeout_s = timeout_s

    @staticmethod
    def _key(image: Image.Image) -> str:
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        return hashlib.sha1(rgb.tobytes() + repr(rgb.shape).encode()).hexdigest()

    def submit(self, image: Image.Image) -> Future:
        """Start reading ``image`` (or find it already read); the future's result is its words."""
        key = self._key(image)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            future = self._pool.submit(read_screen, image.copy(), timeout_s=self.timeout_s)
            self._cache[key] = future
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return future

    def words(self, image: Image.Image) -> list[ScreenWord]:
        """The words of ``image``, read now or earlier."""
        return self.submit(image).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
