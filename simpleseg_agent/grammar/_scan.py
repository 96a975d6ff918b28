"""One left-to-right scan of an answer that yields the bracketed number lists in it (private).

Design (why it is linear for any input): outside a candidate the scan jumps with ``str.find("[")``;
inside one it reads tokens with a single anchored regex whose alternatives start with distinct
characters, keeps a stack of at most three levels, and on the first foreign character or grammar
violation abandons the candidate and resumes *from that character* — it never rewinds to the
candidate's start. So every character is read a bounded number of times, and the memory held is
bounded by ``max_points`` (a cap that raises as soon as it is exceeded). When a polygon list breaks,
the rest of it (up to its balancing ``]``) is skipped, so its pairs are not read as points; a ``[``
that breaks it starts a new candidate (a model that restarted its answer), which is kept only if it
is itself a polygon list.

A candidate is a list nested 1, 2 or 3 deep whose innermost lists hold numbers: depth 1 is a point
(2 numbers) or a box (4); depth 2 is one polygon (a list of ``[x, y]`` pairs); depth 3 is a list of
polygons. Polygons with fewer than 3 points are dropped here (counted in ``dropped``). Bad numbers
(NaN, inf, negative, signed, scientific notation, overlong, out of range under ``reject``) do not stop
the candidate: they record the first error on it, and the caller raises it if it picks that candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ParseError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<punct>[\[\],])
      | (?P<sign>[-+]?)
        (?: (?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<exp>[eE][-+]?[0-9]+)?
          | (?P<nonfinite>(?i:infinity|inf|nan))(?![0-9A-Za-z_])
        )
    )""",
    re.VERBOSE,
)
_SPACE = re.compile(r"\s+")
_BRACKET = re.compile(r"[\[\]]")
_MAX_NUMBER_CHARS = 32  # longer digit runs are hostile or broken; never hand them to float()


@dataclass
class ScanLimits:
    """Per-axis upper bounds in the answer's own space, and the policies of the scan."""

    x_max: float
    y_max: float
    reject_out_of_range: bool
    max_points: int
    range_text: str  # e.g. "a number in [0, 1]", used in error messages


@dataclass
class Candidate:
    """A bracketed number list found in the text; ``depth`` is 1, 2 or 3."""

    start: int
    end: int
    depth: int
    complete: bool
    numbers: list[float] = field(default_factory=list)  # depth 1 only
    polygons: list[list[float]] = field(default_factory=list)  # flat [x0, y0, x1, y1, ...] with >= 3 points
    dropped: int = 0
    clamped: bool = False
    error: ParseError | None = None
    stop: int | None = None  # where an incomplete list met a foreign character; None at the end of text
    stop_char: str = ""  # the character found there
    stop_expected: str = ""  # what the list expected there


def _show(token: str) -> str:
    return token if len(token) <= 24 else token[:20] + "..."


def _bad_number(m: re.Match[str], limits: ScanLimits) -> ParseError | None:
    token, pos = m.group(0).lstrip(), m.start("sign")
    if m.group("nonfinite") is not None:
        return ParseError(f"non-finite value {_show(token)!r}", position=pos, expected=limits.range_text)
    if m.group("sign") == "-":
        return ParseError(f"negative value {_show(token)!r}", position=pos, expected=limits.range_text)
    if m.group("sign") == "+":
        return ParseError(f"signed value {_show(token)!r}", position=pos, expected="a number without a sign")
    if m.group("exp") is not None:
        return ParseError(
            f"scientific notation {_show(token)!r}", position=pos, expected="a plain decimal number such as 0.125"
        )
    if len(token) > _MAX_NUMBER_CHARS:
        return ParseError(
            f"overlong number {_show(token)!r}", position=pos, expected=f"at most {_MAX_NUMBER_CHARS} characters"
        )
    return None


def _scan_one(text: str, start: int, limits: ScanLimits) -> tuple[Candidate | None, int, int]:
    """Scan the list opening at ``text[start] == "["``.

    Returns the candidate (or None), where to resume scanning, and how many of its brackets are still
    open there (0 when the list closed).
    """
    opens = [start]  # start positions of the open levels (for shifting past a 4th leading "[")
    counts = [0]  # items per open level
    expecting = [True]  # per level: a value may come next (after "[" or ",")
    depth_d = 0  # nesting depth of the numbers; 0 until the first number
    only_opens = True
    cand = Candidate(start=start, end=start + 1, depth=0, complete=False)
    leaf: list[float] = []
    poly: list[float] = []
    points = 0
    pos = start + 1
    while True:
        m = _TOKEN.match(text, pos)
        if m is None:  # foreign character or end of text: the structure stops here
            break
        punct, sign, num, exp, _ = m.groups()
        tok_pos = m.start("punct") if punct is not None else m.start("sign")
        level = len(opens)
        if punct == "[":
            if level == 3:
                if not only_opens:
                    break  # a 4th level inside content: resume at this "[" as a new candidate
                opens.pop(0)  # "[[[[...": the answer starts at a later "["
                cand.start = opens[0]
                opens.append(tok_pos)
            elif (depth_d and level >= depth_d) or not expecting[-1]:
                break
            else:
                opens.append(tok_pos)
                counts.append(0)
                expecting.append(True)
                if depth_d and len(opens) == depth_d - 1:
                    poly = []
        elif punct == ",":
            if expecting[-1]:
                break
            expecting[-1] = True
        elif punct == "]":
            if expecting[-1] and counts[-1] > 0:
                break  # trailing comma
            if counts[-1] == 0 and not (depth_d and level < depth_d):
                break  # an empty list where numbers belong
            if level == depth_d:
                if depth_d >= 2:
                    if len(leaf) != 2:
                        break
                    points += 1
                    if points > limits.max_points:
                        raise ParseError(
                            f"more than {limits.max_points} points in the answer",
                            position=tok_pos,
                            expected=f"at most max_points={limits.max_points} points",
                        )
                    poly.extend(leaf)
                elif len(leaf) not in (2, 4):
                    return None, m.end(), 0  # a well-formed list that is neither a point nor a box, e.g. "[1]"
                else:
                    cand.numbers = leaf
                leaf = []
            elif level == depth_d - 1:
                if len(poly) >= 6:
                    cand.polygons.append(poly)
                else:
                    cand.dropped += 1
                poly = []
            opens.pop()
            counts.pop()
            expecting.pop()
            if not opens:
                cand.end, cand.complete = m.end(), True
                return cand, m.end(), 0
            counts[-1] += 1
            expecting[-1] = False
        else:  # a number, good or bad
            if not expecting[-1] or (depth_d and level != depth_d):
                break
            if not depth_d:
                depth_d = cand.depth = level
            if len(leaf) >= (4 if depth_d == 1 else 2):
                break
            error = None
            if sign or exp is not None or num is None or len(num) > _MAX_NUMBER_CHARS:
                error = _bad_number(m, limits)
            value = 0.0
            if error is None:
                value = float(num)
                if value > (limits.y_max if len(leaf) % 2 else limits.x_max):
                    if limits.reject_out_of_range:
                        axis = "y" if len(leaf) % 2 else "x"
                        error = ParseError(
                            f"{axis} value {_show(num)} out of range",
                            position=tok_pos,
                            expected=limits.range_text,
                        )
                    else:
                        cand.clamped = True
            if error is not None and cand.error is None:
                cand.error = error
            leaf.append(value)
            counts[-1] += 1
            expecting[-1] = False
        only_opens = only_opens and punct == "["
        cand.end = m.end()
        pos = m.end()
    # Interrupted (foreign character, grammar violation, or end of text). Resume at the offending
    # token so that a "[" there can start the next candidate; complete polygons so far are kept.
    if m is None:
        ws = _SPACE.match(text, pos)
        resume = ws.end() if ws is not None else pos
    else:
        resume = m.start("punct") if m.group("punct") is not None else m.start("sign")
    resume = max(resume, start + 1)
    if not depth_d:
        return None, resume, len(opens)
    if resume < len(text):
        cand.stop, cand.stop_char = resume, text[resume]
        if not expecting[-1]:
            cand.stop_expected = "',' or ']'"
        elif len(opens) != depth_d:
            cand.stop_expected = "'['"
        else:
            cand.stop_expected = "a number" if len(leaf) < (4 if depth_d == 1 else 2) else "']'"
    return cand, resume, len(opens)


def _skip_open(text: str, pos: int, levels: int) -> int:
    """Position just after the ``]`` that closes ``levels`` open brackets (or the end of text)."""
    for m in _BRACKET.finditer(text, pos):
        levels += 1 if m.group() == "[" else -1
        if levels == 0:
            return m.end()
    return len(text)


def iter_candidates(text: str, limits: ScanLimits) -> Iterator[Candidate]:
    """Yield every number-list candidate of ``text`` in order; linear time in ``len(text)``.

    Example:
        >>> lim = ScanLimits(1.0, 1.0, False, 100, "a number in [0, 1]")
        >>> [(c.depth, c.complete, c.numbers) for c in iter_candidates("[see] [1] at [0.5, 0.2].", lim)]
        [(1, True, [0.5, 0.2])]
    """
    pos = text.find("[")
    outer = 0  # brackets left open by a broken polygon list that a "[" inside it restarted from
    while pos >= 0:
        cand, pos, left_open = _scan_one(text, pos, limits)
        depth = cand.depth if cand is not None else 0
        if outer and depth < 2:
            # A pair inside a broken polygon list is not an answer of its own: skip the rest of that list.
            pos, outer = _skip_open(text, pos, outer + left_open), 0
        else:
            if cand is not None:
                yield cand
            outer = 0
            if depth >= 2 and left_open:
                if text.startswith("[", pos):
                    outer = left_open  # resume at this "[" (a restarted answer, or a pair to skip)
                else:
                    pos = _skip_open(text, pos, left_open)
        pos = text.find("[", pos)
