"""Property tests: parse(format(x)) == x on the grid, and arbitrary text raises nothing but ParseError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simpleseg_agent.errors import ParseError
from simpleseg_agent.grammar import (
    ANSWER_TEMPLATES,
    ParsedAnswer,
    format_box,
    format_point,
    format_polygons,
    parse_answer,
    wrap_answer,
)

unit = st.floats(0.0, 1.0, allow_nan=False)
polygon = st.integers(3, 30).flatmap(lambda n: arrays(np.float64, (n, 2), elements=unit))
polygons = st.lists(polygon, min_size=1, max_size=4)
styles = st.sampled_from(["reference", "compact"])
templates = st.sampled_from(ANSWER_TEMPLATES)


def _expected(values: np.ndarray, style: str) -> np.ndarray:
    """What the text should decode to: the 3-decimal grid, or the 0..999 grid read as g / 1000."""
    if style == "reference":
        return np.round(values, 3)
    return np.clip(np.round(values * 1000), 0, 999) / 1000


def _space(style: str) -> str:
    return "norm" if style == "reference" else "1000"


@given(polygons, styles, templates)
def test_polygons_round_trip(polys, style, template):
    text = wrap_answer(format_polygons(polys, style=style), template)
    ans = parse_answer(text, space=_space(style))
    assert ans.kind == "polygons" and not ans.truncated and not ans.clamped and ans.dropped == 0
    assert len(ans.polygons_xy_norm) == len(polys)
    for got, want in zip(ans.polygons_xy_norm, polys):
        np.testing.assert_allclose(got, _expected(want, style), rtol=0, atol=1e-12)
        np.testing.assert_allclose(got, want, rtol=0, atol=(0.0005 if style == "reference" else 0.001) + 1e-12)


@given(arrays(np.float64, (4,), elements=unit), styles, templates)
def test_box_round_trip(xyxy_norm, style, template):
    ans = parse_answer(wrap_answer(format_box(xyxy_norm, style=style), template), space=_space(style), kind="box")
    np.testing.assert_allclose(ans.xyxy_norm, _expected(xyxy_norm, style), rtol=0, atol=1e-12)


@given(arrays(np.float64, (2,), elements=unit), styles, templates)
def test_point_round_trip(xy_norm, style, template):
    ans = parse_answer(wrap_answer(format_point(xy_norm, style=style), template), space=_space(style))
    assert ans.kind == "point"
    np.testing.assert_allclose(ans.xy_norm, _expected(xy_norm, style), rtol=0, atol=1e-12)


@given(polygons, st.data())
def test_truncation_keeps_complete_polygons(polys, data):
    text = format_polygons(polys)
    cut = data.draw(st.integers(1, len(text) - 1))
    prefix = text[:cut]
    closed = prefix.count("]]")  # every complete polygon ends with "]]"
    try:
        ans = parse_answer(prefix)
    except ParseError:
        assert closed == 0
        return
    assert ans.truncated and len(ans.polygons_xy_norm) == closed
    for got, want in zip(ans.polygons_xy_norm, polys):
        np.testing.assert_allclose(got, np.round(want, 3), atol=1e-12)


def _check_result(ans: ParsedAnswer, text: str) -> None:
    start, end = ans.span
    assert 0 <= start < end <= len(text)
    arrays_out = ans.polygons_xy_norm + [a for a in (ans.xyxy_norm, ans.xy_norm) if a is not None]
    assert arrays_out
    for arr in arrays_out:
        assert arr.dtype == np.float64 and np.all(np.isfinite(arr)) and np.all((arr >= 0) & (arr <= 1))
    for poly in ans.polygons_xy_norm:
        assert poly.ndim == 2 and poly.shape[1] == 2 and poly.shape[0] >= 3


PIECES = ["[", "]", ",", " ", "0.5", "1", "nan", "-1", "1e3", "[[[", "]]]", "x"]
GRAMMAR_ALPHABET = "[[[]]],,, ..0123456789-+eEnaifINFty\n\t{}\"abx:"


@pytest.mark.slow
@settings(max_examples=300)
@given(st.one_of(
    st.text(),
    st.text(alphabet=GRAMMAR_ALPHABET, max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.lists(st.sampled_from(PIECES), max_size=60).map("".join),
))
def test_arbitrary_text_raises_only_parse_error(text):
    options = ({}, {"kind": "polygons"}, {"kind": "box", "space": "1000"}, {"kind": "point", "out_of_range": "reject"})
    for kwargs in options:
        try:
            ans = parse_answer(text, **kwargs)
        except ParseError as exc:
            assert exc.position is None or 0 <= exc.position <= len(text)
        else:
            _check_result(ans, text)
