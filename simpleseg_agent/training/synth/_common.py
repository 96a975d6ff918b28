"""What the synthetic-data generators share: seeding, fonts, colour words, expression choice, writing.

Seeding: sample ``i`` of a run with seed ``s`` draws from ``numpy.random.default_rng([s, i, salt])``
and from nothing else, so ``-n 8`` and ``-n 16`` share their first 8 samples, and a worker pool
gives the same bytes as one process.

Fonts: the generators draw with the families of :mod:`simpleseg_agent.mockup.fonts`. Output is
deterministic for a seed on one machine; a machine with other fonts draws other pixels.
"""

from __future__ import annotations

import colorsys
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageFont

from ...errors import SimpleSegError
from ..records import Record


class SynthConfigError(SimpleSegError, ValueError):
    """A synthetic-data configuration value is invalid (the message says how to fix it)."""


class SynthRenderError(SimpleSegError, RuntimeError):
    """A rendering engine failed (the Chromium process died or stopped answering)."""


def help_field(default: Any = None, help: str = "", **kwargs: Any) -> Any:
    """A dataclass field whose ``metadata["help"]`` documents it (the CLI reads it)."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple (immutable) default, not a list/dict/set")
    return field(default=default, metadata={"help": help}, **kwargs)


def sample_rng(seed: int, index: int, salt: int) -> np.random.Generator:
    """The random stream of one sample: depends only on ``(seed, index, salt)``."""
    return np.random.default_rng([int(seed), int(index), int(salt)])


def image_name(index: int) -> str:
    """Relative image path of sample ``index`` inside a dataset folder."""
    return f"images/{index:06d}.png"


def check_range(name: str, value: Any, *, low: float, high: float | None = None, integer: bool = True) -> tuple:
    """Validate a ``(min, max)`` pair; raise :class:`SynthConfigError` saying what to pass instead."""
    kind = "integers" if integer else "numbers"
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise SynthConfigError(f"{name} must be a (min, max) pair of {kind}, got {value!r}") from None
    ok_type = (lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)) if integer else (
        lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
    if not (ok_type(lo) and ok_type(hi)):
        raise SynthConfigError(f"{name} must be a (min, max) pair of {kind}, got {value!r}")
    if lo > hi:
        raise SynthConfigError(f"{name}: min {lo} is larger than max {hi}; swap them: ({hi}, {lo})")
    if lo < low or (high is not None and hi > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise SynthConfigError(f"{name} must lie in {bound}, got {value!r}")
    return (lo, hi)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise SynthConfigError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")




def text_size(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of ``text`` drawn at the origin with anchor ``"la"``."""
    return tuple(int(v) for v in font.getbbox(text))  # type: ignore[return-value]


# colours -----------------------------------------------------------------------------------------
_HUE_WORDS: tuple[tuple[float, str], ...] = (
    (15, "red"), (40, "orange"), (65, "yellow"), (160, "green"), (195, "teal"), (255, "blue"),
    (290, "purple"), (335, "pink"), (360, "red"),
)


def color_word(rgb: Sequence[int]) -> str | None:
    """A plain colour word for a saturated colour (``"blue"``), ``None`` for greys and washed-out ones.

    Example:
        >>> color_word((30, 90, 220)), color_word((128, 128, 128))
        ('blue', None)
    """
    r, g, b = (float(v) / 255.0 for v in rgb)
    h, light, s = colorsys.rgb_to_hls(r, g, b)
    if s < 0.45 or light < 0.18 or light > 0.85:
        return None
    deg = h * 360.0
    for top, word in _HUE_WORDS:
        if deg < top:
            return word
    return "red"


def hsl_rgb(h_deg: float, s: float, light: float) -> tuple[int, int, int]:
    """An ``(R, G, B)`` tuple of ints from hue (degrees), saturation and lightness in [0, 1]."""
    r, g, b = colorsys.hls_to_rgb((h_deg % 360.0) / 360.0, light, s)
    return (int(round(r * 255)), int(round(g * 255)), int(round(b * 255)))


# referring expressions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One referring expression a target could get, and how it refers (``"text"``, ``"position"``...)."""

    text: str
    how: str


#: Ways of referring that name the target itself; the first expression of a record is one of
#: these when the target has one.
NAMING = ("text", "type", "attribute", "icon")
#: A candidate that only marks an expression as taken (something on the image that is not a
#: target looks like it: the magnifier glyph inside a search field); it is never chosen.
BLOCK = "block"


def choose_expressions(
    candidates: Sequence[Sequence[Candidate]], rng: np.random.Generator, max_expressions: int
) -> list[list[Candidate]]:
    """Per target, up to ``max_expressions`` expressions that no other target on the image produced.

    Every target must list every expression that could describe it (all its type words, its cell,
    its rank), so that an expression produced by two targets is ambiguous and dropped, whatever the
    template; candidates of kind :data:`BLOCK` count for that and are never chosen. Choice: one
    naming expression first when there is one, then other ways of referring before second
    expressions of the same way, in a random order drawn from ``rng``.

    Example:
        >>> import numpy as np
        >>> c = [[Candidate("the OK button", "text"), Candidate("the button", "type")],
        ...      [Candidate("the Cancel button", "text"), Candidate("the button", "type")]]
        >>> [[e.text for e in es] for es in choose_expressions(c, np.random.default_rng(0), 3)]
        [['the OK button'], ['the Cancel button']]
    """
    seen: Counter[str] = Counter()
    per_target: list[list[Candidate]] = []
    for cands in candidates:
        own: dict[str, Candidate] = {}
        for c in cands:
            own.setdefault(c.text.lower(), c)
        per_target.append(list(own.values()))
        seen.update(own.keys())
    chosen: list[list[Candidate]] = []
    for cands in per_target:
        unique = [c for c in cands if seen[c.text.lower()] == 1 and c.how != BLOCK]
        order = [unique[i] for i in rng.permutation(len(unique))] if unique else []
        picked: list[Candidate] = []
        naming = [c for c in order if c.how in NAMING]
        if naming:
            picked.append(naming[0])
        used_how = {c.how for c in picked}
        for c in order:  # new ways of referring first
            if len(picked) >= max_expressions:
                break
            if c not in picked and c.how not in used_how:
                picked.append(c)
                used_how.add(c.how)
        for c in order:
            if len(picked) >= max_expressions:
                break
            if c not in picked:
                picked.append(c)
        chosen.append(picked)
    return chosen


def position_phrases(box, others, size_wh: tuple[int, int]) -> list[str]:
    """Where ``box`` is, as phrases that hold whatever a person takes "left" or "top" to mean.

    Alone (no ``others``): thirds of the image ("at the top", "on the left", "in the top left").
    Among others of its kind: only clear extremes — its centre beyond every other box's edge —
    as "topmost", "rightmost"...; and "at the top", "on the right", "in the bottom right" when it
    is also in that half of the image (the left one of two buttons in the bottom-right corner is
    the leftmost button, not "the button on the left"). Boxes are ``xyxy`` in pixels.

    Example:
        >>> position_phrases((0, 0, 10, 10), [], (90, 90))
        ['at the top', 'on the left', 'in the top left']
        >>> position_phrases((60, 0, 70, 10), [(0, 0, 10, 10)], (90, 90))
        ['on the right', 'rightmost']
    """
    W, H = size_wh
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    if not others:
        v = "top" if cy < H / 3 else "bottom" if cy > 2 * H / 3 else ""
        h = "left" if cx < W / 3 else "right" if cx > 2 * W / 3 else ""
        v_abs, h_abs = v, h
    else:
        v = "top" if cy < min(o[1] for o in others) else "bottom" if cy > max(o[3] for o in others) else ""
        h = "left" if cx < min(o[0] for o in others) else "right" if cx > max(o[2] for o in others) else ""
        v_abs = v if (v == "top") == (cy < H / 2) else ""
        h_abs = h if (h == "left") == (cx < W / 2) else ""
    out = []
    if v_abs:
        out.append(f"at the {v_abs}")
    if h_abs:
        out.append(f"on the {h_abs}")
    if v_abs and h_abs:
        out.append(f"in the {v_abs} {h_abs}")
    if others and v:
        out.append({"top": "topmost", "bottom": "lowest"}[v])
    if others and h:
        out.append({"left": "leftmost", "right": "rightmost"}[h])
    return out


def position_expression(phrase: str, noun: str) -> str:
    """``"the leftmost girl"`` for superlatives, ``"the girl on the left"`` for the others."""
    return f"the {phrase} {noun}" if phrase.endswith("most") or phrase == "lowest" else f"the {noun} {phrase}"


def quoted(text: str) -> str:
    """Bare text when it reads as a name (``Submit``), quoted when it is a phrase or has punctuation."""
    plain = all(ch.isalnum() or ch in " -" for ch in text) and len(text.split()) <= 3
    return text if plain else f'"{text}"'


# samples and datasets ----------------------------------------------------------------------------
@dataclass
class SynthSample:
    """One generated image and its records (image paths relative to the dataset folder).

    ``masks`` holds, when the generator has them, each record's exact pixel mask ``(H, W)`` bool.
    """

    image: Image.Image
    records: list[Record]
    masks: list[np.ndarray] | None = None


def encode_png(image: Image.Image, compress_level: int = 3) -> bytes:
    """PNG bytes of ``image`` (deterministic: Pillow writes no time stamp)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()
