"""Polygon / box / point <-> answer text: formatting, tolerant parsing, coordinate spaces, token counts.

Example:
    >>> from simpleseg_agent.grammar import format_polygons, parse_answer, wrap_answer
    >>> text = wrap_answer(format_polygons([[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]), "It is at {a}.")
    >>> text
    'It is at [[[0.100, 0.200], [0.300, 0.200], [0.200, 0.400]]].'
    >>> parse_answer(text).polygons_xy_norm[0].tolist()
    [[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]
"""

from .format import ANSWER_TEMPLATES, AnswerStyle, format_box, format_point, format_polygons, wrap_answer
from .parse import AnswerKind, ParsedAnswer, parse_answer
from .spaces import CoordSpace, coerce_space, from_norm, space_scale_xy, to_norm
from .tokens import (
    ApproxTokenCounter,
    HFTokenCounter,
    QwenTokenCounter,
    TokenCounter,
    default_token_counter,
    qwen_tokenizer_path,
)

__all__ = [
    "ANSWER_TEMPLATES",
    "AnswerKind",
    "AnswerStyle",
    "ApproxTokenCounter",
    "CoordSpace",
    "HFTokenCounter",
    "ParsedAnswer",
    "QwenTokenCounter",
    "TokenCounter",
    "coerce_space",
    "default_token_counter",
    "format_box",
    "format_point",
    "format_polygons",
    "from_norm",
    "parse_answer",
    "qwen_tokenizer_path",
    "space_scale_xy",
    "to_norm",
    "wrap_answer",
]
