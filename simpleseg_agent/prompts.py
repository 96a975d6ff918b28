"""The unified query interface of SimpleSeg: ``text | point | box | mask  ->  point | box | mask``.

A :class:`Query` says what the user points at (a phrase, a point, a box or a mask); the *answer kind*
says what the model should answer with (a point ``[x, y]``, a box ``[x1, y1, x2, y2]`` or polygons
``[[[x, y], ...], ...]``). :func:`build_prompt` turns the pair into the user text the model sees.

Coordinates in prompts are normalized by the image width/height (``x_norm = x_px / W``), written
with 3 decimals (``-0.000`` is written ``0.000``): a point as ``[0.621, 0.592]``, a box as
``[0.100, 0.200, 0.300, 0.400]``. A mask query is described to the model by its bounding box, so a
``mask -> mask`` request uses the ``box -> mask`` templates.

Templates live in :data:`PROMPT_TEMPLATES`, keyed by ``(query kind, answer kind)``; ``{q}`` in a
template stands for the rendered query: the phrase, or the coordinate text. Index 0 of each tuple
is the deterministic default. For ``text -> mask``, ``point -> mask`` and ``box -> mask`` every
string is a template of the released SimpleSeg model; the default ``text -> mask`` phrasing is
``What is the polygon of {q} in the image?``. The ``text -> box``, ``text -> point`` and
``point -> box`` templates, and the non-default ``point -> mask`` / ``box -> mask`` ones, are ours.

Example:
    >>> import random
    >>> build_prompt(Query.text("the submit button"))
    'What is the polygon of the submit button in the image?'
    >>> build_prompt(Query.point((0.621, 0.592)))
    'Show me the contour of the object at point [0.621, 0.592].'
    >>> build_prompt(Query.box((0.1, 0.2, 0.3, 0.4)), "mask")
    'Give the polygon vertices of the stuff within the box region [0.100, 0.200, 0.300, 0.400].'
    >>> build_prompt(Query.text("the cat"), "box")
    'Give me the bounding box of the cat in the image.'
    >>> p = build_prompt(Query.text("the cat"), rng=random.Random(0))
    >>> p in [t.format(q="the cat") for t in templates_for("text", "mask")]
    True
    >>> training_answer("[0.500, 0.500]")
    '[0.500, 0.500].'
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from .errors import GeometryError, PromptError
from .grammar.format import ANSWER_TEMPLATES, wrap_answer as _wrap

QueryKind = Literal["text", "point", "box", "mask"]
AnswerKind = Literal["point", "box", "mask"]

QUERY_KINDS: tuple[str, ...] = get_args(QueryKind)
ANSWER_KINDS: tuple[str, ...] = get_args(AnswerKind)


PROMPT_TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("text", "mask"): (
        "What is the polygon of {q} in the image?",
        '"{q}"\'s polygon',
        "Output the polygon coordinates of {q} in the image.",
        "Tell me the polygon coordinates of {q} in the image.",
        "Give me the polygon coordinates of {q} in the image.",
        "Help me locate the polygon of {q}.",
        "Locate the polygon of {q}.",
    ),
    ("point", "mask"): (
        "Show me the contour of the object at point {q}.",
        "Give the polygon vertices of the object at point {q}.",
        "Output the polygon coordinates of the object at point {q}.",
    ),
    ("box", "mask"): (
        "Give the polygon vertices of the stuff within the box region {q}.",
        "Show me the contour of the object within the box region {q}.",
        "Output the polygon coordinates of the object within the box region {q}.",
    ),
    ("text", "box"): (
        "Give me the bounding box of {q} in the image.",
        "What is the bounding box of {q} in the image?",
        "Output the bounding box coordinates of {q} in the image.",
        "Tell me the bounding box coordinates of {q} in the image.",
        "Locate {q} in the image with a bounding box.",
    ),
    ("text", "point"): (
        "Point to {q} in the image.",
        "Give me the point coordinates of {q} in the image.",
        "Where is {q} in the image? Answer with a point.",
        "Output the coordinates of a point on {q}.",
        "Locate {q} with a point.",
    ),
    ("point", "box"): (
        "Give the bounding box of the object at point {q}.",
        "What is the bounding box of the object at point {q}?",
        "Output the bounding box coordinates of the object at point {q}.",
    ),
}
"""Prompt templates by ``(query kind, answer kind)``; index 0 is the default phrasing."""

"""Answer phrasings of the reference training data; index 0 (``"{a}."``) is the default."""


def _fmt(v: float) -> str:
    s = f"{v:.3f}"
    return "0.000" if s == "-0.000" else s


def _coords_norm(values: object, n: int, name: str) -> tuple[float, ...]:
    """Validate ``n`` finite numbers in [0, 1] (plain Python/numpy numbers only, no strings or bools)."""
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise GeometryError(f"{name}: expected {n} numbers in [0, 1], got {values!r}") from exc
    if arr.dtype.kind not in "iuf":
        raise GeometryError(f"{name}: expected {n} numbers in [0, 1], got {values!r} (dtype {arr.dtype})")
    if arr.shape != (n,):
        raise GeometryError(f"{name}: expected {n} numbers in [0, 1], got shape {arr.shape}: {values!r}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise GeometryError(f"{name}: expected finite numbers, got {values!r}")
    if np.any(arr < 0.0) or np.any(arr > 1.0):
        raise GeometryError(
            f"{name}: expected coordinates normalized to [0, 1] by the image width/height, got {values!r} "
            "(pixel or 0-1000 coordinates must be divided by the image size first)"
        )
    return tuple(float(v) + 0.0 for v in arr)  # + 0.0 turns -0.0 into 0.0


def _box_of_mask(mask: np.ndarray) -> tuple[float, float, float, float]:
    """Pixel-edge box of a bool mask, normalized: pixel column c covers [c, c+1) / W."""
    h, w = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (float(cols[0] / w), float(rows[0] / h), float((cols[-1] + 1) / w), float((rows[-1] + 1) / h))


@dataclass(frozen=True)
class Query:
    """What the user refers to. Build it with :meth:`text`, :meth:`point`, :meth:`box` or :meth:`mask`.

    Attributes:
        kind: ``"text"``, ``"point"``, ``"box"`` or ``"mask"``.
        phrase: the referring expression of a text query (whitespace collapsed), else ``None``.
        xy_norm: ``(x, y)`` of a point query, normalized to [0, 1], else ``None``.
        xyxy_norm: ``(x1, y1, x2, y2)`` of a box query, or the bounding box of a mask query
            (pixel edges: a mask covering columns 2..4 of a 10-wide image gives x1=0.2, x2=0.5).
        mask_hw: read-only bool ``(H, W)`` array of a mask query, else ``None``; not compared.

    Example:
        >>> Query.text("  the   red\\ncup ").phrase
        'the red cup'
        >>> Query.box((0.1, 0.2, 0.3, 0.4)).coords_text
        '[0.100, 0.200, 0.300, 0.400]'
        >>> import numpy as np
        >>> m = np.zeros((10, 10), bool); m[1:3, 2:5] = True
        >>> Query.mask(m).xyxy_norm
        (0.2, 0.1, 0.5, 0.3)
    """

    kind: QueryKind
    phrase: str | None = None
    xy_norm: tuple[float, float] | None = None
    xyxy_norm: tuple[float, float, float, float] | None = None
    mask_hw: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in QUERY_KINDS:
            raise PromptError(f"query kind: expected one of {QUERY_KINDS}, got {self.kind!r}")
        has = {"text": self.phrase is not None, "point": self.xy_norm is not None, "mask": self.mask_hw is not None}
        need = {"text": self.kind == "text", "point": self.kind == "point", "mask": self.kind == "mask"}
        box_needed = self.kind in ("box", "mask")
        if has != need or (self.xyxy_norm is not None) != box_needed:
            raise PromptError(
                f"a {self.kind!r} query needs exactly its own fields; build it with Query.{self.kind}(...)"
            )

    @classmethod
    def text(cls, phrase: str) -> Query:
        """A referring expression such as ``"the submit button"``; runs of whitespace become one space."""
        if not isinstance(phrase, str):
            raise PromptError(f"text query: expected a non-empty string, got {type(phrase).__name__}: {phrase!r}")
        cleaned = " ".join(phrase.split())
        if not cleaned:
            raise PromptError(f"text query: expected a non-empty string, got {phrase!r}")
        return cls(kind="text", phrase=cleaned)

    @classmethod
    def point(cls, xy_norm: Sequence[float]) -> Query:
        """A point ``(x, y)`` normalized to [0, 1] by the image width and height."""
        x, y = _coords_norm(xy_norm, 2, "point query xy_norm")
        return cls(kind="point", xy_norm=(x, y))

    @classmethod
    def box(cls, xyxy_norm: Sequence[float]) -> Query:
        """A box ``(x1, y1, x2, y2)`` normalized to [0, 1], with ``x1 < x2`` and ``y1 < y2``."""
        x1, y1, x2, y2 = _coords_norm(xyxy_norm, 4, "box query xyxy_norm")
        if not (x1 < x2 and y1 < y2):
            raise GeometryError(
                f"box query xyxy_norm: expected x1 < x2 and y1 < y2 (corners, not width/height), got {tuple(xyxy_norm)!r}"
            )
        return cls(kind="box", xyxy_norm=(x1, y1, x2, y2))

    @classmethod
    def mask(cls, mask: np.ndarray) -> Query:
        """A bool ``(H, W)`` mask with at least one ``True`` pixel; prompts describe it by its box."""
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.ndim != 2:
            got = f"{type(mask).__name__}" + (f" {mask.dtype} {mask.shape}" if isinstance(mask, np.ndarray) else "")
            raise GeometryError(f"mask query: expected a bool (H, W) numpy array (e.g. mask > 0), got {got}")
        if not mask.any():
            raise GeometryError(f"mask query: expected at least one True pixel, got an empty {mask.shape} mask")
        frozen = mask.copy()
        frozen.flags.writeable = False
        return cls(kind="mask", xyxy_norm=_box_of_mask(frozen), mask_hw=frozen)

    @property
    def coords_text(self) -> str | None:
        """The query's coordinates as prompt text (``[x, y]`` or ``[x1, y1, x2, y2]``); ``None`` for text."""
        values = self.xy_norm if self.kind == "point" else self.xyxy_norm
        return None if values is None else "[" + ", ".join(_fmt(v) for v in values) + "]"

    @property
    def rendered(self) -> str:
        """What replaces ``{q}`` in a template: the phrase, or :attr:`coords_text`."""
        return self.phrase if self.kind == "text" else self.coords_text  # type: ignore[return-value]


def supported_pairs() -> tuple[tuple[str, str], ...]:
    """Every supported ``(query kind, answer kind)``; a mask query supports what a box query does.

    Example:
        >>> ("mask", "mask") in supported_pairs()
        True
    """
    pairs = list(PROMPT_TEMPLATES)
    pairs += [("mask", a) for (q, a) in PROMPT_TEMPLATES if q == "box"]
    return tuple(pairs)


def templates_for(query_kind: QueryKind, answer_kind: AnswerKind) -> tuple[str, ...]:
    """The templates of one ``(query kind, answer kind)`` pair, default first.

    Example:
        >>> templates_for("mask", "mask") == templates_for("box", "mask")
        True
    """
    if query_kind not in QUERY_KINDS:
        raise PromptError(f"query kind: expected one of {QUERY_KINDS}, got {query_kind!r}")
    if answer_kind not in ANSWER_KINDS:
        raise PromptError(f"answer kind: expected one of {ANSWER_KINDS}, got {answer_kind!r}")
    key = ("box" if query_kind == "mask" else query_kind, answer_kind)
    if key not in PROMPT_TEMPLATES:
        listed = ", ".join(f"{q}->{a}" for q, a in supported_pairs())
        raise PromptError(f"unsupported request {query_kind}->{answer_kind}; supported: {listed}")
    return PROMPT_TEMPLATES[key]


def _pick(templates: tuple[str, ...], template_index: int, rng: random.Random | None, what: str) -> str:
    if isinstance(template_index, bool) or not isinstance(template_index, int):
        raise PromptError(f"{what} template_index: expected an int, got {template_index!r}")
    if rng is not None:
        if template_index != 0:
            raise PromptError(f"{what}: pass either template_index or rng, not both")
        return rng.choice(templates)
    if not 0 <= template_index < len(templates):
        raise PromptError(f"{what} template_index: expected 0..{len(templates) - 1}, got {template_index}")
    return templates[template_index]


def build_prompt(
    query: Query,
    answer: AnswerKind = "mask",
    *,
    template_index: int = 0,
    rng: random.Random | None = None,
) -> str:
    """The user text asking for ``answer`` about ``query``.

    Args:
        query: what is referred to.
        answer: ``"mask"`` (polygons), ``"box"`` or ``"point"``.
        template_index: which phrasing of :func:`templates_for` to use; 0 is the default.
        rng: if given, pick a phrasing uniformly at random instead (training data).

    Raises:
        PromptError: unsupported ``(query kind, answer)`` pair (the message lists the supported
            ones), bad ``template_index``, or both ``template_index`` and ``rng`` given.

    Example:
        >>> build_prompt(Query.text("the cat"), template_index=1)
        '"the cat"\\'s polygon'
        >>> build_prompt(Query.point((0.5, 0.25)), "box")
        'Give the bounding box of the object at point [0.500, 0.250].'
    """
    if not isinstance(query, Query):
        raise PromptError(f"query: expected a Query (e.g. Query.text('the cat')), got {type(query).__name__}")
    templates = templates_for(query.kind, answer)
    return _pick(templates, template_index, rng, "build_prompt").format(q=query.rendered)


def training_answer(coords_text: str, rng: random.Random | None = None, *, template_index: int = 0) -> str:
    """A training target: ``coords_text`` inside one of the answer phrases (``grammar.ANSWER_TEMPLATES``).

    The default (index 0) is the bare ``"{a}."``, the shortest target; ``rng`` picks uniformly.

    Example:
        >>> training_answer("[0.1, 0.2]", template_index=3)
        'It is at [0.1, 0.2].'
    """
    if not isinstance(coords_text, str) or not coords_text.strip():
        raise PromptError(f"training_answer: expected non-empty coordinate text, got {coords_text!r}")
    return _wrap(coords_text, _pick(ANSWER_TEMPLATES, template_index, rng, "training_answer"))


__all__ = [
    "ANSWER_KINDS",
    "ANSWER_TEMPLATES",
    "PROMPT_TEMPLATES",
    "QUERY_KINDS",
    "AnswerKind",
    "PromptError",
    "Query",
    "QueryKind",
    "build_prompt",
    "supported_pairs",
    "templates_for",
    "training_answer",
]
