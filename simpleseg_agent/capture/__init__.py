"""Real screens as data: real UIs rendered by their own engines, labelled from their own element trees."""

from .desktop import DesktopState, capture_desktop, capture_tk
from .elements import ROLES, CapturedElement, CapturedScreen, normalize_role
from .web import WebCaptureConfig, WebCapturer, capture_web

__all__ = ["ROLES", "CapturedElement", "CapturedScreen", "DesktopState", "WebCaptureConfig", "WebCapturer",
           "capture_desktop", "capture_tk", "capture_web", "normalize_role"]
