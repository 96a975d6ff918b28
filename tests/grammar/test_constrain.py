"""The answer grammar of constrained decoding: it accepts what the formatter writes and the parser reads,
never leaves a valid prefix without a way on, rejects the broken lists small models write, and a token
walk that only takes allowed tokens ends in answers that parse."""

from __future__ import annotations

import random

import numpy as np
import pytest

from simpleseg_agent.grammar import parse_answer
from simpleseg_agent.grammar.constrain import AnswerGrammar, TokenFilter
from simpleseg_agent.grammar.format import ANSWER_TEMPLATES, format_box, format_point, format_polygons, wrap_answer

SPACES = {"reference": "norm", "compact": "1000"}
PARSE_KIND = {"mask": "polygons", "box": "box", "point": "point"}


def _answers(rng: random.Random, kind: str, style: str, n: int) -> list[str]:
    out = []
    for _ in range(n):
        if kind == "mask":
            polys = [np.array([[rng.random(), rng.random()] for _ in range(rng.randint(3, 9))])
                     for _ in range(rng.randint(1, 3))]
            text = format_polygons(polys, style=style)
        elif kind == "box":
            x0, y0 = rng.random() * 0.5, rng.random() * 0.5
            text = format_box([x0, y0, x0 + rng.random() * 0.5, y0 + rng.random() * 0.5], style=style)
        else:
            text = format_point([rng.random(), rng.random()], style=style)
        out.append(wrap_answer(text, rng.choice(ANSWER_TEMPLATES)))
    return out


@pytest.mark.parametrize("style", ["reference", "compact"])
@pytest.mark.parametrize("kind", ["mask", "box", "point"])
def test_every_formatted_answer_and_each_of_its_prefixes_is_accepted(kind, style):
    grammar = AnswerGrammar(kind, SPACES[style])
    for text in _answers(random.Random(7), kind, style, 60):
        state = grammar.start()
        for ch in text:
            state = grammar.step(state, ch)
            assert state is not None, f"{text!r} rejected at {ch!r}"
        assert grammar.is_done(state), text
        assert parse_answer(text, kind=PARSE_KIND[kind], space=SPACES[style]).kind == PARSE_KIND[kind]


@pytest.mark.parametrize("text", [
    "It is found at [[[62,372],[272,37],[2],[7,3,],[1],[],[6,3,1]]].",  # a small model's broken list
    "It is found at [[[844,1It2],[839,107],[836,77]]].",                  # a letter inside a number
    "[[[10,10],[20,20]]]",                                                # two points: no polygon
    "[[[10,10],[20,20],[30,30,40]]]",                                     # a point with three numbers
    "[[[10,10],[20,20],[1001,30]]]",                                      # out of the 0-1000 space
    "[[[[10,10],[20,20],[30,30]]]]",                                      # one level too deep
    "[[[10,10],[20,20],[30,30]]] and [[[1,1],[2,2],[3,3]]]",              # a second list
    "[[[10,10],[20,20],[30,30]],]",                                       # a trailing comma
    "[[]]",
])
def test_broken_lists_are_rejected_at_the_first_bad_character(text):
    assert AnswerGrammar("mask", "1000").feed(AnswerGrammar("mask", "1000").start(), text) is None


@pytest.mark.parametrize("kind,space,text", [
    ("point", "norm", "[1.5, 0.2]"),
    ("point", "norm", "[0.5, 0.2, 0.1]"),
    ("box", "norm", "[0.1, 0.2, 0.3]]"),
    ("box", "1000", "[1, 2, 3, 4, 5]"),
    ("point", "px", "[-3, 4]"),
    ("mask", "norm", "[[[0.1, 0.1], [0.2, 0.2], [0.3, 0.]]]"),  # a number cannot end in '.'
])
def test_wrong_arity_range_or_number_is_rejected(kind, space, text):
    grammar = AnswerGrammar(kind, space)
    assert grammar.feed(grammar.start(), text) is None


def test_text_around_the_list_is_free_but_a_second_list_is_not():
    grammar = AnswerGrammar("point", "px")
    done = grammar.feed(grammar.start(), "Sure, it is at [1280.5, 7] (in pixels).")
    assert grammar.is_done(done) and grammar.feed(done, " [1") is None


def test_bad_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="kind must be one of"):
        AnswerGrammar("polygon", "norm")  # type: ignore[arg-type]


# a vocabulary like a byte-level BPE's: single characters, merged brackets and digit runs, words, EOS
VOCAB = (list("0123456789[],. ") + ["[[", "[[[", " [[[", "]]", "]]]", "]]].", "],[", "]],[[", "],", ", [", ", ",
         "12", "999", "1000", "0.", "0.5", "It", " is", " at", " found", "Sure", ".", " [", "x", "]x", "<eos>"])
EOS = len(VOCAB) - 1


@pytest.mark.slow
@pytest.mark.parametrize("kind,space", [("mask", "1000"), ("mask", "norm"), ("box", "1000"), ("point", "norm")])
def test_a_random_walk_over_allowed_tokens_only_ever_writes_parseable_answers(kind, space):
    """The test a logits mask relies on: whatever the model picks among the allowed tokens, an answer
    that stops parses, in range; without the filter the same walk breaks the grammar."""
    grammar = AnswerGrammar(kind, space)
    filt = TokenFilter(grammar, [t if i != EOS else "" for i, t in enumerate(VOCAB)], eos_ids=[EOS])
    rng = random.Random(3)
    parsed = 0
    for _ in range(300):
        state, text = grammar.start(), ""
        for _ in range(120):
            allowed = filt.allowed(state)
            assert allowed, f"stuck after {text!r}"
            token = rng.choice(allowed)
            if token == EOS:
                break
            text += VOCAB[token]
            state = filt.advance(state, token)
            assert state is not None, text
        if token == EOS and grammar.is_done(state):
            answer = parse_answer(text, kind=PARSE_KIND[kind], space=space, out_of_range="reject")
            assert answer.kind == PARSE_KIND[kind]
            parsed += 1
    assert parsed >= 20  # enough walks finish for the check to mean something
    unfiltered = [rng.randrange(len(VOCAB) - 1) for _ in range(200)]
    assert grammar.feed(grammar.start(), "[" + "".join(VOCAB[t] for t in unfiltered)) is None


def test_eos_only_before_or_after_the_list_and_the_cache_stays_small():
    grammar = AnswerGrammar("mask", "1000")
    filt = TokenFilter(grammar, [t if i != EOS else "" for i, t in enumerate(VOCAB)], eos_ids=[EOS])
    assert EOS in filt.allowed(grammar.start())
    inside = grammar.feed(grammar.start(), "It is at [[[1,2],[3,4],[5,6]")
    assert EOS not in filt.allowed(inside) and VOCAB.index("x") not in filt.allowed(inside)
    assert EOS in filt.allowed(grammar.feed(inside, "]]]"))
    long = "[[" + ",".join("[5,5]" for _ in range(400))  # states of long answers share cache entries
    state = grammar.start()
    for ch in long:
        state = grammar.step(state, ch)
        filt.allowed(state)
    assert len(filt._cache) < 40
