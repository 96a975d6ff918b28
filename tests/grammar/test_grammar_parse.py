"""parse_answer on every answer form: free text, fences, \\boxed, JSON, truncation, bad values, kinds."""

from __future__ import annotations

import re

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError, ParseError
from simpleseg_agent.grammar import ParsedAnswer, parse_answer

TRI = "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]"
TRI_XY = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]


@pytest.mark.parametrize(
    ("text", "kwargs", "kind", "expected"),
    [
        ("It is at [[[0.925, 0.400], [0.916, 0.388], [0.916, 0.456]]].", {}, "polygons",
         [[[0.925, 0.4], [0.916, 0.388], [0.916, 0.456]]]),
        (f"[{TRI}].", {}, "polygons", [TRI_XY]),
        (f"Sure, you can find it at [{TRI}].", {}, "polygons", [TRI_XY]),
        (f"It is found at [{TRI}, {TRI}].", {}, "polygons", [TRI_XY, TRI_XY]),
        (f"```json\n[{TRI}]\n```", {}, "polygons", [TRI_XY]),
        (f"```\n[{TRI}]\n```", {}, "polygons", [TRI_XY]),
        (f"The answer is \\boxed{{[{TRI}]}}.", {}, "polygons", [TRI_XY]),
        ("[\n [\n  [0.1 ,\n\t0.2 ] ,\r\n [0.3,0.4],[ 0.5 , 0.6 ]\n ]\n]", {}, "polygons", [TRI_XY]),
        (f"{TRI}", {}, "polygons", [TRI_XY]),  # a single polygon (depth 2)
        (f"[see below] [1] It is at [{TRI}].", {}, "polygons", [TRI_XY]),  # bracketed prose is skipped
        (f"Range [0, 1], box [0.1, 0.2, 0.3, 0.4]; polygon [{TRI}]", {}, "polygons", [TRI_XY]),  # richest wins
        ("[[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]]]", {}, "polygons", [TRI_XY]),  # one bracket too many
        (f"[[{TRI}]", {}, "polygons", [TRI_XY]),  # unbalanced extra "[" before the answer
        (f"[{TRI}, [[0.7, 0.8]]]", {}, "polygons", [TRI_XY]),  # degenerate part dropped
        (f"[{TRI}, []]", {}, "polygons", [TRI_XY]),  # empty part dropped
        ("[[[0, 0], [1, 0], [1, 1]]]", {}, "polygons", [[[0, 0], [1, 0], [1, 1]]]),  # integers, bounds
        ("[[[.5, 0.], [1., .25], [0.5, 1]]]", {}, "polygons", [[[0.5, 0], [1, 0.25], [0.5, 1]]]),
        ("[[[500, 0], [1000, 250], [0, 1000]]]", {"space": "1000"}, "polygons", [[[0.5, 0], [1, 0.25], [0, 1]]]),
        ("[[[320, 0], [640, 120], [0, 480]]]", {"space": "px", "resolution_wh": (640, 480)}, "polygons",
         [[[0.5, 0], [1, 0.25], [0, 1]]]),
        (f"[{TRI}]", {"kind": "polygons"}, "polygons", [TRI_XY]),
        (f"{TRI}", {"kind": "polygons"}, "polygons", [TRI_XY]),
        ("It is at [0.1, 0.2, 0.3, 0.4].", {}, "box", [0.1, 0.2, 0.3, 0.4]),
        ('{"bbox_2d": [100, 200, 300, 400], "label": "cat"}', {"space": "1000"}, "box", [0.1, 0.2, 0.3, 0.4]),
        ('```json\n[\n  {"bbox_2d": [64, 48, 320, 240]}\n]\n```', {"space": "px", "resolution_wh": (640, 480)},
         "box", [0.1, 0.1, 0.5, 0.5]),
        ("[0.1, 0.2, 0.3, 0.4]", {"kind": "box"}, "box", [0.1, 0.2, 0.3, 0.4]),
        (f"[{TRI}] but the box is [0.1, 0.2, 0.3, 0.4]", {"kind": "box"}, "box", [0.1, 0.2, 0.3, 0.4]),
        ("Click [0.5, 0.25].", {}, "point", [0.5, 0.25]),
        ("\\boxed{[640, 360]}", {"kind": "point", "space": "px", "resolution_wh": (1280, 720)}, "point", [0.5, 0.5]),
        ("[1] then [0.5, 0.25]", {"kind": "point"}, "point", [0.5, 0.25]),
    ],
)
def test_parse_forms(text, kwargs, kind, expected):
    ans = parse_answer(text, **kwargs)
    assert isinstance(ans, ParsedAnswer)
    assert ans.kind == kind and not ans.truncated and not ans.clamped
    if kind == "polygons":
        assert ans.xyxy_norm is None and ans.xy_norm is None
        assert len(ans.polygons_xy_norm) == len(expected)
        for got, want in zip(ans.polygons_xy_norm, expected):
            assert got.dtype == np.float64 and got.shape == (len(want), 2)
            np.testing.assert_allclose(got, want)
    else:
        assert ans.polygons_xy_norm == []
        got = ans.xyxy_norm if kind == "box" else ans.xy_norm
        other = ans.xy_norm if kind == "box" else ans.xyxy_norm
        assert other is None and got.shape == (len(expected),)
        np.testing.assert_allclose(got, expected)
    start, end = ans.span
    assert 0 <= start < end <= len(text) and text[start] == "[" and text[end - 1] == "]"


@pytest.mark.parametrize(
    "text",
    [
        f"[[[0.1, 0.2], [[{TRI}]]",  # the model restarted the list: the restart is read
        "[[[0.1, 0.2], [0.3, 0.4], [[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]]",
        f"[[[0.1, 0.2] x [0.3, 0.4]]] then [{TRI}]",  # the broken list's pairs are not read as points
    ],
)
def test_restarted_and_broken_lists(text):
    ans = parse_answer(text)
    assert ans.kind == "polygons" and not ans.truncated
    np.testing.assert_allclose(ans.polygons_xy_norm[0], TRI_XY)


@pytest.mark.parametrize(
    "text",
    ["[[[0.1, 0.2] [0.3, 0.4], [0.5, 0.6]]]", "[[[0.1, 0.2] x [0.3, 0.4]]]", "[[[0.1, 0.2], [[0.3, 0.4]]]"],
)
def test_pairs_of_a_broken_polygon_list_are_not_points(text):
    with pytest.raises(ParseError, match="unexpected"):
        parse_answer(text)


def test_span_and_dropped():
    text = f"It is at [{TRI}, [[0.9, 0.9]]]."
    ans = parse_answer(text)
    assert text[slice(*ans.span)] == f"[{TRI}, [[0.9, 0.9]]]"
    assert ans.dropped == 1 and ans.num_points == 3


@pytest.mark.parametrize(
    ("text", "n_polygons"),
    [
        ("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8], [0.9", 1),
        ("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8], [0.9, 0.1], [0.2, 0.3]], [[0.1", 2),
        ("It is at [[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8], [0.9, 0.1], [0.2, 0.3]]", 2),
        ("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],", 1),
        ("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]<|im_end|>", 1),  # foreign text ends the list
        ("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8]], [[0.1, 0.2], [0.3", 1),
    ],
)
def test_truncated_answers_keep_complete_polygons(text, n_polygons):
    ans = parse_answer(text)
    assert ans.kind == "polygons" and ans.truncated
    assert len(ans.polygons_xy_norm) == n_polygons
    np.testing.assert_allclose(ans.polygons_xy_norm[0], TRI_XY)


@pytest.mark.parametrize(
    ("text", "kwargs", "message", "position"),
    [
        ("", {}, "no coordinate list found", None),
        ("   \n\t ", {}, "no coordinate list found", None),
        ("I cannot see that object.", {}, "no coordinate list found", None),
        ("[see below] [1] [a, b]", {}, "no coordinate list found", None),
        ("\x00\xff\ud800 ☃ [[[", {}, "no coordinate list found", None),
        ("[" * 10_000, {}, "no coordinate list found", None),
        ("]" * 10_000, {}, "no coordinate list found", None),
        ("[[[0.1, 0.2], [0.3, 0.4]], [[0.7, 0.8], [0.9", {}, "truncated answer", 44),
        ("[[[0.1,", {}, "truncated answer", 7),
        ("[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7", {}, "truncated answer", 41),
        ("[[[0.1, 0.2], [0.3, 0.4]]]", {}, "only degenerate polygons", 0),
        ("[[0.1, 0.2], [0.3, 0.4]]", {"kind": "polygons"}, "only degenerate polygons", 0),
        ("It is at [[[nan, 0.400], [0.916, 0.388], [0.916, 0.456]]].", {}, "non-finite value 'nan'", 12),
        ("[[[0.1, NaN], [0.3, 0.4], [0.5, 0.6]]]", {}, "non-finite value 'NaN'", 8),
        ("[[[0.1, inf], [0.3, 0.4], [0.5, 0.6]]]", {}, "non-finite value 'inf'", 8),
        ("[[[0.1, 0.2], [Infinity, 0.4], [0.5, 0.6]]]", {}, "non-finite value 'Infinity'", 15),
        ("[[[0.1, 0.2], [0.3, -inf], [0.5, 0.6]]]", {}, "non-finite value '-inf'", 20),
        ("[[[0.1, -0.2], [0.3, 0.4], [0.5, 0.6]]]", {}, "negative value '-0.2'", 8),
        ("[[[0.1, - 0.2], [0.3, 0.4], [0.5, 0.6]]]", {}, "unexpected '-' in the coordinate list", 8),
        ("[[[0.1, 0.2, 0.3], [0.3, 0.4], [0.5, 0.6]]]", {}, "unexpected '0' in the coordinate list", 13),
        ("[[[0.1, 0.2] [0.3, 0.4], [0.5, 0.6]]]", {}, "unexpected '[' in the coordinate list", 13),
        ("[[[0.1, 0.2], [0.3, 0.4] END", {}, "unexpected 'E' in the coordinate list", 25),
        ("[-5, 10]", {"space": "px", "resolution_wh": (100, 100)}, "negative value '-5'", 1),
        ("[[[0.1, +0.2], [0.3, 0.4], [0.5, 0.6]]]", {}, "signed value '+0.2'", 8),
        ("[[[0.1, 1e-3], [0.3, 0.4], [0.5, 0.6]]]", {}, "scientific notation '1e-3'", 8),
        ("[[[0.1, 0.2], [5E2, 0.4], [0.5, 0.6]]]", {"space": "1000"}, "scientific notation '5E2'", 15),
        ("[0.1, 2.5e+1]", {}, "scientific notation '2.5e+1'", 6),
        ("[0.1, " + "1" * 40 + "]", {}, "overlong number", 6),
        ("[[[0.1, 1.5], [0.3, 0.4], [0.5, 0.6]]]", {"out_of_range": "reject"}, "y value 1.5 out of range", 8),
        ("[1001, 5]", {"space": "1000", "out_of_range": "reject"}, "x value 1001 out of range", 1),
        ("[641, 5]", {"space": "px", "resolution_wh": (640, 480), "out_of_range": "reject"}, "x value 641", 1),
        ("[0.1, 0.2, 0.3, 0.4]", {"kind": "polygons"}, "found a box but expected polygons", 0),
        (f"[{TRI}]", {"kind": "box"}, "found a list of polygons but expected a box", 0),
        (f"{TRI}", {"kind": "point"}, "found a single polygon but expected a point", 0),
        ("[0.5, 0.5]", {"kind": "box"}, "found a point but expected a box", 0),
    ],
)
def test_parse_errors(text, kwargs, message, position):
    with pytest.raises(ParseError, match="^" + re.escape(message)) as info:
        parse_answer(text, **kwargs)
    assert info.value.position == position
    assert info.value.expected
    if message.startswith("unexpected"):
        assert info.value.expected == {"0": "']'", "[": "',' or ']'", "E": "',' or ']'", "-": "a number"}[message[12]]


def test_error_message_wording():
    with pytest.raises(ParseError) as info:
        parse_answer("nothing here")
    assert str(info.value).startswith('no coordinate list found in the answer (expected text like "[[[0.1, 0.2], ...]]"')
    with pytest.raises(ParseError) as info:
        parse_answer("It is [[[nan, 0.4], [0.1, 0.1], [0.2, 0.2]]]")
    assert str(info.value) == "non-finite value 'nan' at character 9 (expected a number in [0, 1])"


@pytest.mark.parametrize(
    ("text", "kwargs", "expected", "clamped"),
    [
        ("[0.5, 1.5]", {}, [0.5, 1.0], True),
        ("[0.5, 1.0]", {}, [0.5, 1.0], False),
        ("[1000, 999]", {"space": "1000"}, [1.0, 0.999], False),
        ("[1000.5, 999]", {"space": "1000"}, [1.0, 0.999], True),
        ("[640, 480]", {"space": "px", "resolution_wh": (640, 480)}, [1.0, 1.0], False),
        ("[480, 640]", {"space": "px", "resolution_wh": (640, 480)}, [0.75, 1.0], True),
        ("[480, 640]", {"space": "px", "resolution_wh": (640, 480), "out_of_range": "clamp"}, [0.75, 1.0], True),
    ],
)
def test_clamp_policy(text, kwargs, expected, clamped):
    ans = parse_answer(text, **kwargs)
    np.testing.assert_allclose(ans.xy_norm, expected)
    assert ans.clamped is clamped


def test_bad_values_in_prose_lose_to_a_good_answer():
    ans = parse_answer(f"Values in [-1, 1] are invalid; it is at [{TRI}].")
    assert ans.kind == "polygons" and len(ans.polygons_xy_norm) == 1
    ans = parse_answer(f"Not [[[nan, 0.2], [0.3, 0.4], [0.5, 0.6]]] but [{TRI}].")
    np.testing.assert_allclose(ans.polygons_xy_norm[0], TRI_XY)


def test_max_points():
    text = "[[[" + ", ".join(["[0.1, 0.2]"] * 50) + "]]]"
    assert parse_answer(text, max_points=50).num_points == 50
    with pytest.raises(ParseError, match="more than 49 points") as info:
        parse_answer(text, max_points=49)
    assert info.value.position is not None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "mask"}, ValueError),
        ({"out_of_range": "wrap"}, ValueError),
        ({"max_points": 0}, ValueError),
        ({"max_points": True}, ValueError),
        ({"space": "pixels"}, ValueError),
        ({"space": "px"}, GeometryError),
        ({"space": "px", "resolution_wh": (0, 10)}, GeometryError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        parse_answer("[0.1, 0.2]", **kwargs)
    with pytest.raises(TypeError):
        parse_answer(b"[0.1, 0.2]")  # type: ignore[arg-type]


def test_parsed_answer_is_frozen():
    ans = parse_answer("[0.1, 0.2]")
    with pytest.raises(AttributeError):
        ans.kind = "box"  # type: ignore[misc]
