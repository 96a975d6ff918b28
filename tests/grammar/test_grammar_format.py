"""Formatting polygons, boxes and points as answer text, in both styles."""

from __future__ import annotations

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.grammar import ANSWER_TEMPLATES, format_box, format_point, format_polygons, wrap_answer

TRIANGLE = [[0.925, 0.4], [0.916, 0.388], [0.916, 0.456]]


@pytest.mark.parametrize(
    ("polygons", "kwargs", "expected"),
    [
        ([TRIANGLE], {}, "[[[0.925, 0.400], [0.916, 0.388], [0.916, 0.456]]]"),
        ([np.array(TRIANGLE)], {"style": "compact"}, "[[[925,400],[916,388],[916,456]]]"),
        ([[[0.0, 1.0]], [[0.5, 0.5]]], {}, "[[[0.000, 1.000]], [[0.500, 0.500]]]"),
        ([[[0.0, 1.0]]], {"style": "compact"}, "[[[0,999]]]"),  # 1.0 clips to the top of the 0..999 grid
        ([[[-0.0001, 0.00049]]], {}, "[[[0.000, 0.000]]]"),  # -0.000 never appears
        ([[[0.12345, 0.5]]], {"decimals": 2}, "[[[0.12, 0.50]]]"),
        ([[[0.12345, 0.5]]], {"decimals": 2, "style": "compact"}, "[[[12,50]]]"),
        (np.full((2, 1, 2), 0.25), {}, "[[[0.250, 0.250]], [[0.250, 0.250]]]"),
        ([[[1.0000001, 0.3]]], {}, "[[[1.000, 0.300]]]"),
    ],
)
def test_format_polygons_table(polygons, kwargs, expected):
    assert format_polygons(polygons, **kwargs) == expected


@pytest.mark.parametrize(
    ("polygons", "match"),
    [
        ([], "empty"),
        ([np.zeros((0, 2))], r"shape \(N, 2\)"),
        ([[[0.1, 0.2, 0.3]]], r"shape \(N, 2\)"),
        (np.array(TRIANGLE), "sequence of"),  # one (N, 2) array, not a list of polygons
        ([[[np.nan, 0.2]]], "NaN"),
        ([[[np.inf, 0.2]]], "NaN or infinite"),
        ([[[0.1, -0.2]]], r"outside \[0, 1\]"),
        ([[[1.2, 0.2]]], r"outside \[0, 1\]"),
        ([[["a", "b"]]], "numeric"),
        ([[[0.1, 0.2], [0.3]]], "numeric"),  # ragged
    ],
)
def test_format_polygons_rejects(polygons, match):
    with pytest.raises(GeometryError, match=match):
        format_polygons(polygons)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"style": "json"}, ValueError), ({"decimals": 0}, ValueError), ({"decimals": 2.5}, ValueError)],
)
def test_format_bad_options(kwargs, error):
    with pytest.raises(error):
        format_polygons([TRIANGLE], **kwargs)


@pytest.mark.parametrize(
    ("func", "values", "style", "expected"),
    [
        (format_box, [0.1, 0.2, 0.3, 0.4], "reference", "[0.100, 0.200, 0.300, 0.400]"),
        (format_box, np.array([0.1, 0.2, 0.3, 0.4]), "compact", "[100,200,300,400]"),
        (format_box, [0.0, 0.0, 1.0, 1.0], "compact", "[0,0,999,999]"),
        (format_point, [0.5, 0.25], "reference", "[0.500, 0.250]"),
        (format_point, (0.0004, 0.9996), "reference", "[0.000, 1.000]"),
        (format_point, [0.5, 0.25], "compact", "[500,250]"),
    ],
)
def test_format_box_point_table(func, values, style, expected):
    assert func(values, style=style) == expected


@pytest.mark.parametrize(
    ("func", "values"),
    [
        (format_box, []),
        (format_box, [0.1, 0.2, 0.3]),
        (format_box, [[0.1, 0.2, 0.3, 0.4]]),
        (format_box, [0.1, 0.2, 0.3, np.nan]),
        (format_point, [0.1, 0.2, 0.3]),
        (format_point, [2.0, 0.5]),
        (format_point, "ab"),
    ],
)
def test_format_box_point_rejects(func, values):
    with pytest.raises(GeometryError):
        func(values)


@pytest.mark.parametrize("template", ANSWER_TEMPLATES)
def test_wrap_answer_templates(template):
    text = wrap_answer("[0.500, 0.250]", template)
    assert "[0.500, 0.250]" in text and text.endswith(".")


def test_wrap_answer_default_and_errors():
    assert wrap_answer("[0.1, 0.2]") == "[0.1, 0.2]."
    for bad in ("", "no placeholder", "{a} and {a}"):
        with pytest.raises(ValueError):
            wrap_answer("[0.1, 0.2]", bad)
