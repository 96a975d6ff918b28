"""Real screens as data: real UIs rendered by their own engines, labelled from their own element trees."""

from .elements import ROLES, CapturedElement, CapturedScreen, normalize_role
from .web import WebCaptureConfig, WebCapturer, capture_web

__all__ = ["ROLES", "CapturedElement", "CapturedScreen", "WebCaptureConfig", "WebCapturer", "capture_web", "normalize_role"]
