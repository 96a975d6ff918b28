"""Parsing time is linear in the input length for hostile inputs; huge answers are refused early.

Each case times an input of size n and 8n (best of 3) and asserts the ratio is < 20: linear gives
about 8, quadratic about 64. No absolute time is asserted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from simpleseg_agent.errors import ParseError
from simpleseg_agent.grammar import parse_answer


def _best_time(text: str, repeats: int = 3, **kwargs) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        try:
            parse_answer(text, **kwargs)
        except ParseError:
            pass
        best = min(best, time.perf_counter() - t0)
    return best


HOSTILE: list[tuple[str, Callable[[int], str], int]] = [
    ("open brackets", lambda n: "[" * n, 20_000),
    ("open triples with a number", lambda n: "[[[0.1," * n, 3_000),
    ("close brackets", lambda n: "]" * n, 50_000),
    ("digits", lambda n: "7" * n, 50_000),
    ("one list of digits", lambda n: "[" + "7" * n, 50_000),
    ("unclosed depth-1 lists", lambda n: "[0.1, " * n, 5_000),
    ("polygon starts", lambda n: "[[[0.1, 0.2]," * n, 3_000),
    ("points beyond max_points", lambda n: "[[[" + "[0.1, 0.2], " * n, 20_000),
    ("single polygon beyond max_points", lambda n: "[" + "[0.1, 0.2], " * n, 20_000),
    ("many degenerate lists", lambda n: "[[0.1, 0.2], [0.3, 0.4]] " * n, 2_000),
    ("many points", lambda n: "[0.1, 0.2] " * n, 3_000),
    ("many citations", lambda n: "[1] " * n, 10_000),
    ("bad numbers", lambda n: "[nan, -1, 1e5, " * n, 3_000),
    ("whitespace then junk", lambda n: "[" + " " * n + "x", 50_000),
    ("nested junk", lambda n: "[[[x" * n, 10_000),
    ("alternating", lambda n: "[]" * n, 20_000),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "make", "n"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_parse_time_is_linear(name, make, n):
    small, large = make(n), make(8 * n)
    _best_time(small, repeats=1)  # warm up
    t_small, t_large = _best_time(small), _best_time(large)
    ratio = t_large / max(t_small, 1e-5)
    print(f"{name}: {len(small)} chars {t_small * 1e3:.2f} ms, {len(large)} chars {t_large * 1e3:.2f} ms, "
          f"ratio {ratio:.1f}")
    assert ratio < 20


def test_million_point_answer_is_refused_early():
    text = "It is at [[[" + "[0.123, 0.456], " * 1_000_000 + "[0.1, 0.2]]]]."
    t0 = time.perf_counter()
    with pytest.raises(ParseError, match="more than 10000 points"):
        parse_answer(text)
    print(f"million-point answer ({len(text)} chars) refused in {(time.perf_counter() - t0) * 1e3:.1f} ms")
