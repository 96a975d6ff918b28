"""Answer grammars for constrained decoding: which next tokens keep an answer parseable.

A model answers with free text around one coordinate list (``It is found at [[[62,372],[272,37],...]].``).
:class:`AnswerGrammar` is a character-level automaton of that list for one answer kind and
coordinate space: before the first ``[`` any text is allowed; from it on, only characters that keep
a well-formed list (``mask``: polygons of at least 3 ``[x, y]`` points; ``box``: ``[x1, y1, x2, y2]``;
``point``: ``[x, y]``) with numbers inside the space's range (``norm``: 0-1, ``1000``: integers
0-1000, ``px``: non-negative); after the list closes, any text without another ``[``.
:class:`TokenFilter` turns it into "which token ids may come next" for a tokenizer's vocabulary, so a
generation loop can mask the others: every answer that stops by itself then parses (an answer cut
short by the token budget can still be truncated). Pure Python: no torch here.

Example:
    >>> g = AnswerGrammar("mask", "1000")
    >>> state = g.feed(g.start(), "It is found at [[[62,372],[272,37")
    >>> g.feed(state, "]]]") is None      # a polygon needs 3 points: this closes after 2
    True
    >>> g.feed(state, "],[2],[7,3,],[1]") is None, g.feed(state, "],[1001,5]") is None
    (True, True)
    >>> g.is_done(g.feed(state, "],[277,44]]].")), g.is_done(state)
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .spaces import CoordSpace, coerce_space

__all__ = ["AnswerGrammar", "GrammarKind", "GrammarState", "TokenFilter", "answer_regex"]

GrammarKind = Literal["mask", "box", "point"]

#: (levels below the top, leaf arity, minimum elements per level) for each kind
_SHAPES: dict[str, tuple[int, int, tuple[int, ...]]] = {
    "mask": (2, 2, (1, 3, 2)),  # [ polygons [ points [ x, y ] ] ]: >= 1 polygon, >= 3 points, 2 numbers
    "box": (0, 4, (4,)),
    "point": (0, 2, (2,)),
}

#: a number so far (prefix) and a finished number, by space
_NUMBERS: dict[CoordSpace, tuple[re.Pattern[str], re.Pattern[str]]] = {
    CoordSpace.NORM: (re.compile(r"(0(\.\d{0,6})?|1(\.0{0,6})?)"), re.compile(r"(0(\.\d{1,6})?|1(\.0{1,6})?)")),
    CoordSpace.THOUSAND: (re.compile(r"\d{1,4}"), re.compile(r"\d{1,4}")),
    CoordSpace.PIXELS: (re.compile(r"\d{1,5}(\.\d{0,3})?"), re.compile(r"\d{1,5}(\.\d{1,3})?")),
}

_GRAMMAR_CHARS = frozenset("0123456789[],. ")


@dataclass(frozen=True)
class GrammarState:
    """Where an answer is in its grammar (immutable, hashable: states are cached).

    ``phase``: ``free`` (before the list), ``open`` (just after ``[``), ``sep`` (after ``,``),
    ``space`` (after ``, ``), ``num`` (inside a number), ``closed`` (just after an inner ``]``),
    ``done`` (the list is closed). ``counts``: elements finished at each open level; ``num``: the
    number so far.
    """

    phase: str = "free"
    counts: tuple[int, ...] = ()
    num: str = ""


class AnswerGrammar:
    """The coordinate-list grammar of one answer kind in one coordinate space (see the module docstring).

    Args:
        kind: ``"mask"``, ``"box"`` or ``"point"``.
        space: the coordinate space of the numbers (``"norm"``, ``"1000"``, ``"px"``).

    Example:
        >>> g = AnswerGrammar("point", "norm")
        >>> g.is_done(g.feed(g.start(), "It is at [0.500, 0.250].")), g.feed(g.start(), "[1.5")
        (True, None)
    """

    def __init__(self, kind: GrammarKind, space: CoordSpace | str) -> None:
        if kind not in _SHAPES:
            raise ValueError(f"kind must be one of {sorted(_SHAPES)}, got {kind!r}")
        self.kind = kind
        self.space = coerce_space(space)
        self._depth, self._arity, self._min = _SHAPES[kind]
        self._prefix, self._full = _NUMBERS[self.space]

    def start(self) -> GrammarState:
        """The state before any answer text."""
        return GrammarState()

    def is_done(self, state: GrammarState | None) -> bool:
        """The coordinate list is complete."""
        return state is not None and state.phase == "done"

    def canonical(self, state: GrammarState) -> GrammarState:
        """``state`` with each level's count capped at what the grammar checks: states with equal
        canonical forms accept the same continuations (so there are finitely many to cache)."""
        return GrammarState(state.phase, tuple(min(c, m) for c, m in zip(state.counts, self._min)), state.num)

    def _number_ok(self, text: str) -> bool:
        if not self._full.fullmatch(text):
            return False
        return self.space is not CoordSpace.THOUSAND or int(text) <= 1000

    def _close(self, counts: tuple[int, ...]) -> GrammarState | None:
        """``]`` at the innermost open level, when it has enough elements."""
        level = len(counts) - 1
        if counts[level] < self._min[level]:
            return None
        if level == 0:
            return GrammarState("done")
        parent = counts[:-1]
        return GrammarState("closed", parent[:-1] + (parent[-1] + 1,))

    def step(self, state: GrammarState, ch: str) -> GrammarState | None:
        """The state after one more character, or ``None`` when it breaks the grammar."""
        phase, counts = state.phase, state.counts
        if phase == "free":
            return GrammarState("open", (0,)) if ch == "[" else state
        if phase == "done":
            return None if ch == "[" else state
        level = len(counts) - 1
        leaf = level == self._depth
        if phase in ("open", "sep", "space"):
            if ch == " " and phase == "sep":
                return GrammarState("space", counts)
            if leaf:
                return GrammarState("num", counts, ch) if self._prefix.fullmatch(ch) else None
            return GrammarState("open", counts + (0,)) if ch == "[" else None
        if phase == "num":
            text = state.num + ch
            if self._prefix.fullmatch(text) and (self.space is not CoordSpace.THOUSAND or int(text) <= 1000):
                return GrammarState("num", counts, text)
            if ch not in ",]" or not self._number_ok(state.num):
                return None
            done = counts[:-1] + (counts[-1] + 1,)
            if ch == ",":
                return GrammarState("sep", done) if done[-1] < self._arity else None
            return self._close(done) if done[-1] == self._arity else None
        if phase == "closed":  # after an inner list, at a level that holds lists
            if ch == ",":
                return GrammarState("sep", counts)
            return self._close(counts) if ch == "]" else None
        raise ValueError(f"unknown grammar phase {phase!r}")

    def feed(self, state: GrammarState | None, text: str) -> GrammarState | None:
        """The state after ``text``, or ``None`` when some character breaks the grammar."""
        for ch in text:
            if state is None:
                return None
            state = self.step(state, ch)
        return state


class TokenFilter:
    """Which token ids may follow a :class:`GrammarState`, for one vocabulary.

    Args:
        grammar: the answer grammar.
        token_texts: the text of each token id (``tokenizer.batch_decode([[i] for i in ids])``);
            special tokens are given as ``""`` and are never allowed.
        eos_ids: the ids that end an answer: allowed before the list starts (no answer is an
            answer the parser reports) and after it closes.

    Example:
        >>> vocab = ["[", "]", ",", "1", "0", ".", " ", "It", "]]", ""]
        >>> f = TokenFilter(AnswerGrammar("point", "norm"), vocab, eos_ids=[9])
        >>> s = f.grammar.feed(f.grammar.start(), "It [0.5,")
        >>> sorted(vocab[i] for i in f.allowed(s)), f.allowed(f.grammar.feed(s, "1]")) == f.allowed(f.grammar.feed(s, "0]"))
        ([' ', '0', '1'], True)
    """

    def __init__(self, grammar: AnswerGrammar, token_texts: Sequence[str], eos_ids: Sequence[int]) -> None:
        self.grammar = grammar
        self.token_texts = list(token_texts)
        self.eos_ids = sorted({int(i) for i in eos_ids})
        eos = set(self.eos_ids)
        # inside the list only tokens made of these characters can fit: look at those alone
        self._list_candidates = [i for i, t in enumerate(self.token_texts)
                                 if t and i not in eos and set(t) <= _GRAMMAR_CHARS]
        self._cache: dict[GrammarState, list[int]] = {}

    def advance(self, state: GrammarState | None, token_id: int) -> GrammarState | None:
        """The state after one generated token (EOS and special tokens leave it as it is)."""
        if state is None or token_id in self.eos_ids or not (0 <= token_id < len(self.token_texts)):
            return state
        return self.grammar.feed(state, self.token_texts[token_id])

    def allowed(self, state: GrammarState | None) -> list[int]:
        """The token ids that keep the answer in the grammar from ``state`` (EOS where an answer may end)."""
        if state is None:  # already broken (cannot happen under the filter): do not constrain further
            return list(range(len(self.token_texts)))
        key = self.grammar.canonical(state)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if state.phase in ("free", "done"):
            ids = [i for i, t in enumerate(self.token_texts)
                   if t and i not in self.eos_ids and self.grammar.feed(state, t) is not None]
            ids.extend(self.eos_ids)
        else:
            ids = [i for i in self._list_candidates if self.grammar.feed(state, self.token_texts[i]) is not None]
        ids = sorted(ids) or list(self.eos_ids)  # a dead end (no token spells the next character): stop
        self._cache[key] = ids
        return ids


#: a finished number as a regular expression, by space (the same numbers :class:`AnswerGrammar` accepts)
_REGEX_NUMBERS: dict[CoordSpace, str] = {
    CoordSpace.NORM: r"(0(\.[0-9]{1,6})?|1(\.0{1,6})?)",
    CoordSpace.THOUSAND: r"([0-9]{1,3}|0[0-9]{3}|1000)",
    CoordSpace.PIXELS: r"[0-9]{1,5}(\.[0-9]{1,3})?",
}


def answer_regex(kind: GrammarKind, space: CoordSpace | str) -> str:
    """The answer grammar of ``kind`` in ``space`` as one regular expression over the whole answer: free
    text without ``[``, one coordinate list, free text without ``[`` (what :class:`AnswerGrammar` accepts).
    This is the form a server's guided decoding takes (vLLM's ``structured_outputs: {"regex": ...}``), and
    ``simpleseg serve`` recognises it to constrain its own decoding.

    Example:
        >>> rx = re.compile(answer_regex("mask", "1000"))
        >>> bool(rx.fullmatch("It is at [[[62,372], [272,37],[277,44]]].")), bool(rx.fullmatch("[[[1,2],[3,4]]]"))
        (True, False)
        >>> bool(re.fullmatch(answer_regex("box", "norm"), "[0.1, 0.25, 0.5, 1.0]"))
        True
        >>> bool(re.fullmatch(answer_regex("point", "1000"), "[1001, 5]"))
        False
    """
    if kind not in _SHAPES:
        raise ValueError(f"kind must be one of {sorted(_SHAPES)}, got {kind!r}")
    n = _REGEX_NUMBERS[coerce_space(space)]
    free = r"[^\[]*"
    point = rf"\[{n}, ?{n}\]"
    if kind == "mask":
        polygon = rf"\[{point}(, ?{point}){{2,}}\]"
        body = rf"\[{polygon}(, ?{polygon})*\]"
    elif kind == "box":
        body = rf"\[{n}(, ?{n}){{3}}\]"
    else:
        body = point
    return free + body + free
