"""Tests of the unified query interface: templates, coordinates in prompts, validation, randomness."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from simpleseg_agent.errors import GeometryError, SimpleSegError
from simpleseg_agent.prompts import (
    ANSWER_TEMPLATES,
    PROMPT_TEMPLATES,
    PromptError,
    Query,
    build_prompt,
    supported_pairs,
    templates_for,
    training_answer,
)

RELEASED_TEXT_TO_MASK = {
    '"{q}"\'s polygon',
    "What is the polygon of {q} in the image?",
    "Output the polygon coordinates of {q} in the image.",
    "Tell me the polygon coordinates of {q} in the image.",
    "Give me the polygon coordinates of {q} in the image.",
    "Help me locate the polygon of {q}.",
    "Locate the polygon of {q}.",
}


def _mask() -> np.ndarray:
    m = np.zeros((10, 20), bool)
    m[2:5, 4:10] = True  # rows 2..4, cols 4..9 -> box (4/20, 2/10, 10/20, 5/10)
    return m


def test_released_text_to_mask_templates_exact() -> None:
    assert set(templates_for("text", "mask")) == RELEASED_TEXT_TO_MASK
    assert len(templates_for("text", "mask")) == len(RELEASED_TEXT_TO_MASK)


@pytest.mark.parametrize(
    ("query", "answer", "expected"),
    [
        (Query.text("the submit button"), "mask", "What is the polygon of the submit button in the image?"),
        (Query.point((0.621, 0.592)), "mask", "Show me the contour of the object at point [0.621, 0.592]."),
        (
            Query.box((0.1, 0.2, 0.3, 0.4)),
            "mask",
            "Give the polygon vertices of the stuff within the box region [0.100, 0.200, 0.300, 0.400].",
        ),
        (
            Query.mask(_mask()),
            "mask",
            "Give the polygon vertices of the stuff within the box region [0.200, 0.200, 0.500, 0.500].",
        ),
        (Query.text("the cat"), "box", "Give me the bounding box of the cat in the image."),
        (Query.text("the cat"), "point", "Point to the cat in the image."),
        (Query.point((0.5, 0.25)), "box", "Give the bounding box of the object at point [0.500, 0.250]."),
        (Query.mask(_mask()), "box", None),  # box -> box is not supported
    ],
)
def test_default_prompts(query: Query, answer: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(PromptError, match="supported: "):
            build_prompt(query, answer)  # type: ignore[arg-type]
    else:
        assert build_prompt(query, answer) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("xy_norm", "text"),
    [
        ((0.0, 1.0), "[0.000, 1.000]"),
        ((-0.0, 0.0), "[0.000, 0.000]"),  # never "-0.000"
        ((0.12345, 0.9996), "[0.123, 1.000]"),
        (np.array([0.5, 0.5], np.float32), "[0.500, 0.500]"),
        ((1, 0), "[1.000, 0.000]"),
    ],
)
def test_point_coordinate_text(xy_norm: object, text: str) -> None:
    assert Query.point(xy_norm).coords_text == text  # type: ignore[arg-type]


def test_every_template_has_one_placeholder_and_formats() -> None:
    for (q_kind, _a_kind), templates in PROMPT_TEMPLATES.items():
        assert len(set(templates)) == len(templates), q_kind
        for t in templates:
            assert t.count("{q}") == 1 and t.format(q="X").count("X") == 1


def test_template_index_selects_each_template() -> None:
    query = Query.text("the dog")
    got = [build_prompt(query, template_index=i) for i in range(len(templates_for("text", "mask")))]
    assert got == [t.format(q="the dog") for t in templates_for("text", "mask")]
    assert got[1] == '"the dog"\'s polygon'


@pytest.mark.parametrize(("query_kind", "answer_kind"), [("text", "mask"), ("text", "box"), ("text", "point"), ("point", "mask"), ("point", "box"), ("box", "mask"), ("mask", "mask")])
def test_random_phrasing_is_seeded_and_covers_all(query_kind: str, answer_kind: str) -> None:
    query = {
        "text": Query.text("a b"),
        "point": Query.point((0.1, 0.2)),
        "box": Query.box((0.1, 0.2, 0.3, 0.4)),
        "mask": Query.mask(_mask()),
    }[query_kind]
    draws_a = [build_prompt(query, answer_kind, rng=random.Random(7)) for _ in range(3)]  # type: ignore[arg-type]
    assert len(set(draws_a)) == 1  # same seed, same phrasing
    rng = random.Random(0)
    seq1 = [build_prompt(query, answer_kind, rng=rng) for _ in range(400)]  # type: ignore[arg-type]
    rng = random.Random(0)
    seq2 = [build_prompt(query, answer_kind, rng=rng) for _ in range(400)]  # type: ignore[arg-type]
    assert seq1 == seq2
    expected = {t.format(q=query.rendered) for t in templates_for(query_kind, answer_kind)}  # type: ignore[arg-type]
    counts = Counter(seq1)
    assert set(counts) == expected
    assert min(counts.values()) > 400 / len(expected) / 3  # roughly uniform


def test_supported_pairs_and_templates_for() -> None:
    pairs = supported_pairs()
    assert ("mask", "mask") in pairs and ("text", "mask") in pairs and ("box", "box") not in pairs
    for q, a in pairs:
        assert templates_for(q, a)  # type: ignore[arg-type]
    assert templates_for("mask", "mask") == templates_for("box", "mask")


@pytest.mark.parametrize(
    ("query_kind", "answer_kind", "match"),
    [
        ("box", "point", "supported: text->mask"),
        ("box", "box", "unsupported request box->box"),
        ("mask", "point", "unsupported"),
        ("video", "mask", "query kind"),
        ("text", "polygon", "answer kind"),
        ("", "", "query kind"),
    ],
)
def test_templates_for_rejects(query_kind: str, answer_kind: str, match: str) -> None:
    with pytest.raises(PromptError, match=match):
        templates_for(query_kind, answer_kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"template_index": 7}, "expected 0..6"),
        ({"template_index": -1}, "expected 0..6"),
        ({"template_index": True}, "expected an int"),
        ({"template_index": 1.0}, "expected an int"),
        ({"template_index": 2, "rng": random.Random(0)}, "not both"),
    ],
)
def test_build_prompt_rejects_bad_index(kwargs: dict, match: str) -> None:
    with pytest.raises(PromptError, match=match):
        build_prompt(Query.text("x"), **kwargs)


def test_build_prompt_rejects_non_query() -> None:
    with pytest.raises(PromptError, match="expected a Query"):
        build_prompt("the cat")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("the cat", "the cat"),
        ("  the\n\tcat  ", "the cat"),
        ("{q} {0} %s", "{q} {0} %s"),  # braces in the phrase are not re-formatted
        ('the "quoted" one', 'the "quoted" one'),
        ("", None),
        ("   \n\t", None),
        (None, None),
        (123, None),
        (b"bytes", None),
    ],
)
def test_text_query(phrase: object, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(PromptError, match="expected a non-empty string"):
            Query.text(phrase)  # type: ignore[arg-type]
    else:
        q = Query.text(phrase)  # type: ignore[arg-type]
        assert q.phrase == expected and q.kind == "text" and q.coords_text is None
        assert build_prompt(q, template_index=6) == f"Locate the polygon of {expected}."


@pytest.mark.parametrize(
    ("xy_norm", "match"),
    [
        ((), r"shape \(0,\)"),
        ((0.5,), "shape"),
        ((0.1, 0.2, 0.3), "shape"),
        ((float("nan"), 0.5), "finite"),
        ((0.5, float("inf")), "finite"),
        ((1.0001, 0.5), r"normalized to \[0, 1\]"),
        ((-0.001, 0.5), "normalized"),
        ((320, 240), "pixel or 0-1000"),
        (("0.5", "0.5"), "numbers"),
        ((True, False), "numbers"),
        (None, "numbers"),
        ([[0.1, 0.2]], "shape"),
    ],
)
def test_point_query_rejects(xy_norm: object, match: str) -> None:
    with pytest.raises(GeometryError, match=match):
        Query.point(xy_norm)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("xyxy_norm", "match"),
    [
        ((0.3, 0.2, 0.1, 0.4), "x1 < x2"),
        ((0.1, 0.4, 0.3, 0.2), "y1 < y2"),
        ((0.1, 0.2, 0.1, 0.4), "x1 < x2"),  # zero width
        ((0.1, 0.2, 0.3), "shape"),
        ((0.1, 0.2, 0.3, float("nan")), "finite"),
        ((10, 20, 300, 400), "normalized"),
        ((), "shape"),
    ],
)
def test_box_query_rejects(xyxy_norm: object, match: str) -> None:
    with pytest.raises(GeometryError, match=match):
        Query.box(xyxy_norm)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        (np.zeros((4, 4), bool), "at least one True"),
        (np.zeros((0, 0), bool), "at least one True"),
        (np.ones((4, 4), np.uint8), "bool"),
        (np.ones((4, 4, 1), bool), "bool"),
        ([[True, False]], "numpy array"),
        (None, "numpy array"),
    ],
)
def test_mask_query_rejects(mask: object, match: str) -> None:
    with pytest.raises(GeometryError, match=match):
        Query.mask(mask)  # type: ignore[arg-type]


def test_mask_query_box_and_immutability() -> None:
    m = _mask()
    q = Query.mask(m)
    assert q.xyxy_norm == (0.2, 0.2, 0.5, 0.5)
    m[:] = False  # the query keeps its own copy
    assert q.mask_hw is not None and q.mask_hw.sum() == 18
    with pytest.raises(ValueError):
        q.mask_hw[0, 0] = True
    full = Query.mask(np.ones((3, 7), bool))
    assert full.coords_text == "[0.000, 0.000, 1.000, 1.000]"
    assert hash(q) == hash(Query.mask(_mask())) and q == Query.mask(_mask())


def test_query_direct_construction_is_checked() -> None:
    with pytest.raises(PromptError, match="Query.point"):
        Query(kind="point")
    with pytest.raises(PromptError, match="query kind"):
        Query(kind="audio")  # type: ignore[arg-type]
    with pytest.raises(PromptError):
        Query(kind="text", phrase="a", xy_norm=(0.1, 0.2))


def test_errors_belong_to_the_hierarchy() -> None:
    assert issubclass(PromptError, SimpleSegError) and issubclass(PromptError, ValueError)
    assert issubclass(GeometryError, ValueError)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, "[0.5, 0.5]."),
        (1, "Sure, you can find it at [0.5, 0.5]."),
        (2, "It is found at [0.5, 0.5]."),
        (3, "It is at [0.5, 0.5]."),
    ],
)
def test_training_answer_templates(index: int, expected: str) -> None:
    assert training_answer("[0.5, 0.5]", template_index=index) == expected


def test_training_answer_random_is_seeded_and_covers_all() -> None:
    rng = random.Random(3)
    seq1 = [training_answer("A", rng) for _ in range(200)]
    rng = random.Random(3)
    assert seq1 == [training_answer("A", rng) for _ in range(200)]
    assert set(seq1) == {t.format(a="A") for t in ANSWER_TEMPLATES}


@pytest.mark.parametrize(
    ("coords_text", "kwargs", "match"),
    [
        ("", {}, "non-empty"),
        ("   ", {}, "non-empty"),
        (None, {}, "non-empty"),
        ("[0.1, 0.2]", {"template_index": 4}, "expected 0..3"),
        ("[0.1, 0.2]", {"template_index": 1, "rng": random.Random(0)}, "not both"),
    ],
)
def test_training_answer_rejects(coords_text: object, kwargs: dict, match: str) -> None:
    with pytest.raises(PromptError, match=match):
        training_answer(coords_text, **kwargs)  # type: ignore[arg-type]
