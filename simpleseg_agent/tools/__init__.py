"""The tools agents call: segment, locate_point, locate_box, with typed results.

Example:
    >>> from simpleseg_agent.tools import SimpleSeg, Segmentation
    >>> sorted(Segmentation.model_json_schema()["properties"])[:3]
    ['agreement', 'answer_tokens', 'area_norm']
"""

from .decoding import Decoding
from .results import BoxResult, ClickPoint, Latency, PointResult, Segmentation, ToolError
from .segmenter import SimpleSeg, consensus

__all__ = ["BoxResult", "ClickPoint", "Decoding", "Latency", "PointResult", "Segmentation", "SimpleSeg", "ToolError", "consensus"]
