"""Answer text -> polygons, box or point: a tolerant parser that is linear in time and bounded in memory.

:func:`parse_answer` finds the coordinates wherever the model put them — free text, code fences,
``\\boxed{...}``, JSON such as ``{"bbox_2d": [10, 20, 30, 40]}`` — with any whitespace between tokens.
Only a well-formed number list of a known nesting counts, so prose in brackets (``[see below]``,
``[1]``) is skipped. When several lists qualify, the richest kind wins (list of polygons > single
polygon > box > point), then a complete list over a truncated one, then a list without bad values,
then the earliest; the scan stops at the first list nothing can beat.

Decisions:

* Degenerate polygons (fewer than 3 points) are dropped; a list whose polygons are all degenerate
  does not count, and if nothing else does, :class:`ParseError` says so.
* Truncated answers (the text ends, or foreign text starts, inside a list of polygons) keep every
  polygon whose closing ``]`` was seen, with ``truncated=True``. A truncated single polygon, box or
  point yields nothing.
* NaN, inf, negative numbers, explicit signs and scientific notation inside a list are errors with the
  character position. Values above the top of the space (1, 1000, or the image width/height in
  pixels) are clamped to 1 after conversion (``clamped=True``) or, with ``out_of_range="reject"``,
  errors. Negative values are always errors.
* More than ``max_points`` points raise as soon as the cap is passed.

Example:
    >>> ans = parse_answer("It is at [[[0.925, 0.400], [0.916, 0.388], [0.916, 0.456]]].")
    >>> ans.kind, ans.polygons_xy_norm[0].shape, ans.span, ans.truncated
    ('polygons', (3, 2), (9, 59), False)
    >>> parse_answer('```json\\n{"bbox_2d": [100, 200, 300, 400]}\\n```', space="1000").xyxy_norm.tolist()
    [0.1, 0.2, 0.3, 0.4]
    >>> parse_answer("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8], [0.9").truncated
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..errors import ParseError
from ._scan import Candidate, ScanLimits, iter_candidates
from .spaces import CoordSpace, coerce_space, space_scale_xy, to_norm

__all__ = ["AnswerKind", "ParsedAnswer", "parse_answer"]

AnswerKind = Literal["polygons", "box", "point"]

_EXAMPLES = {
    "auto": '"[[[0.1, 0.2], ...]]", "[x1, y1, x2, y2]" or "[x, y]"',
    "polygons": '"[[[0.1, 0.2], ...]]"',
    "box": '"[0.1, 0.2, 0.3, 0.4]"',
    "point": '"[0.1, 0.2]"',
}


@dataclass(frozen=True, eq=False)
class ParsedAnswer:
    """The coordinates of one model answer, normalized to ``[0, 1]`` of the image width and height.

    Attributes:
        kind: ``"polygons"``, ``"box"`` or ``"point"``.
        polygons_xy_norm: for polygons, one ``(N, 2)`` float64 array per part (``N >= 3``); else empty.
        xyxy_norm: for a box, shape ``(4,)`` ``[x1, y1, x2, y2]`` as written; else ``None``.
        xy_norm: for a point, shape ``(2,)``; else ``None``.
        truncated: the list was cut off; only its complete polygons are here.
        span: ``(start, end)`` character span of the coordinate text in the input.
        clamped: some value was above the top of the space and was clamped to 1.
        dropped: degenerate polygons (fewer than 3 points) that were left out.
    """

    kind: AnswerKind
    polygons_xy_norm: list[np.ndarray] = field(default_factory=list)
    xyxy_norm: np.ndarray | None = None
    xy_norm: np.ndarray | None = None
    truncated: bool = False
    span: tuple[int, int] = (0, 0)
    clamped: bool = False
    dropped: int = 0

    @property
    def num_points(self) -> int:
        """Vertices over all polygons (1 for a point, 2 for a box).

        Example:
            >>> parse_answer("[0.2, 0.3, 0.4, 0.5]").num_points
            2
        """
        if self.kind == "polygons":
            return sum(len(p) for p in self.polygons_xy_norm)
        return 2 if self.kind == "box" else 1


def _kind_of(cand: Candidate) -> str:
    if cand.depth >= 2:
        return "polygons"
    return "box" if len(cand.numbers) == 4 else "point"


def _usable(cand: Candidate) -> bool:
    if cand.depth == 1:
        return cand.complete  # a complete depth-1 candidate always holds 2 or 4 numbers
    return bool(cand.polygons)


def _rank(cand: Candidate) -> tuple[int, bool, bool]:
    richness = {3: 3, 2: 2}.get(cand.depth, 1 if len(cand.numbers) == 4 else 0)
    return (richness, cand.complete, cand.error is None)


def _describe(cand: Candidate) -> str:
    if cand.depth == 3:
        return "a list of polygons"
    if cand.depth == 2:
        return "a single polygon"
    return "a box" if len(cand.numbers) == 4 else "a point"


def _range_text(space: CoordSpace, scale_xy: tuple[float, float]) -> str:
    if space is CoordSpace.PIXELS:
        return f"a number in [0, {scale_xy[0]:g}] for x and [0, {scale_xy[1]:g}] for y"
    return f"a number in [0, {scale_xy[0]:g}]"


def parse_answer(
    text: str,
    *,
    kind: Literal["auto", "polygons", "box", "point"] = "auto",
    space: CoordSpace | str = CoordSpace.NORM,
    resolution_wh: tuple[float, float] | None = None,
    out_of_range: Literal["clamp", "reject"] = "clamp",
    max_points: int = 10_000,
) -> ParsedAnswer:
    """Find and parse the coordinates in a model answer; see the module docstring for the rules.

    Args:
        text: the model's answer, any string.
        kind: what to look for; ``"auto"`` takes depth 3 as polygons, depth 2 pairs as one polygon,
            4 numbers as a box and 2 as a point. ``"polygons"`` also accepts a single depth-2 polygon.
        space: the space of the numbers (:class:`CoordSpace` or ``"norm"``, ``"1000"``, ``"px"``).
        resolution_wh: ``(width, height)`` of the image the model saw; needed for ``"px"``.
        out_of_range: ``"clamp"`` values above the top of the space to 1, or ``"reject"`` them.
        max_points: the most points one list may hold; more raises at once.

    Raises:
        ParseError: no usable coordinates; the message says where and what was expected.
        GeometryError: ``space="px"`` without a valid ``resolution_wh``.

    Example:
        >>> parse_answer("Click [640, 360].", kind="point", space="px", resolution_wh=(1280, 720)).xy_norm
        array([0.5, 0.5])
        >>> parse_answer("[nan, 0.5]")
        Traceback (most recent call last):
        ...
        simpleseg_agent.errors.ParseError: non-finite value 'nan' at character 1 (expected a number in [0, 1])
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if kind not in _EXAMPLES:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _EXAMPLES))}, got {kind!r}")
    if out_of_range not in ("clamp", "reject"):
        raise ValueError(f"out_of_range must be 'clamp' or 'reject', got {out_of_range!r}")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise ValueError(f"max_points must be a positive integer, got {max_points!r}")
    space = coerce_space(space)
    scale_xy = space_scale_xy(space, resolution_wh)
    limits = ScanLimits(scale_xy[0], scale_xy[1], out_of_range == "reject", max_points, _range_text(space, scale_xy))

    best: Candidate | None = None
    best_rank: tuple[int, bool, bool] | None = None
    top_rank = (3 if kind in ("auto", "polygons") else 1 if kind == "box" else 0, True, True)
    other: Candidate | None = None  # first usable candidate of a kind that was not asked for
    failures: dict[bool, tuple[int, Candidate]] = {}  # worst unusable list; key: of the asked kind
    for cand in iter_candidates(text, limits):
        if not _usable(cand):
            relevant = kind == "auto" or (cand.depth >= 2) == (kind == "polygons")
            severity = 2 if cand.error is not None else 0 if cand.complete else 1
            if relevant not in failures or severity > failures[relevant][0]:
                failures[relevant] = (severity, cand)
            continue
        if kind != "auto" and _kind_of(cand) != kind:
            other = other or cand
            continue
        rank = _rank(cand)
        if best_rank is None or rank > best_rank:
            best, best_rank = cand, rank
            if rank == top_rank:
                break
    if best is None:
        if True in failures:
            raise _unusable_error(failures[True][1])
        if other is not None:
            raise ParseError(
                f"found {_describe(other)} but expected {'polygons' if kind == 'polygons' else 'a ' + kind}",
                position=other.start,
                expected=f"text like {_EXAMPLES[kind]}",
            )
        if False in failures:
            raise _unusable_error(failures[False][1])
        raise ParseError("no coordinate list found in the answer", expected=f"text like {_EXAMPLES[kind]}")
    if best.error is not None:
        raise best.error
    return _build(best, space, resolution_wh)


def _unusable_error(cand: Candidate) -> ParseError:
    """Why a list does not count (by severity: a bad value, then broken or truncated, then degenerate)."""
    if cand.error is not None:
        return cand.error
    if not cand.complete and cand.stop is not None:
        return ParseError(
            f"unexpected {cand.stop_char!r} in the coordinate list", position=cand.stop, expected=cand.stop_expected
        )
    if not cand.complete:
        what = "polygon" if cand.depth >= 2 else "list"
        return ParseError(
            f"truncated answer: no complete {what} before the list stops", position=cand.end, expected="a closing ']'"
        )
    return ParseError(
        "only degenerate polygons (fewer than 3 points) in the list",
        position=cand.start,
        expected="polygons of at least 3 [x, y] points",
    )


def _build(cand: Candidate, space: CoordSpace, resolution_wh: tuple[float, float] | None) -> ParsedAnswer:
    common = dict(truncated=not cand.complete, span=(cand.start, cand.end), clamped=cand.clamped)
    if cand.depth >= 2:
        polygons = [
            np.clip(to_norm(np.asarray(p).reshape(-1, 2), space, resolution_wh), 0.0, 1.0) for p in cand.polygons
        ]
        return ParsedAnswer("polygons", polygons_xy_norm=polygons, dropped=cand.dropped, **common)
    values = np.clip(to_norm(np.asarray(cand.numbers), space, resolution_wh), 0.0, 1.0)
    if len(values) == 4:
        return ParsedAnswer("box", xyxy_norm=values, **common)
    return ParsedAnswer("point", xy_norm=values, **common)
