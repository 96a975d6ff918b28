"""Real screens as data: real UIs rendered by their own engines, labelled from their own element trees."""

from .desktop import DesktopState, capture_desktop, capture_tk
from .elements import ROLES, CapturedElement, CapturedScreen, normalize_role

__all__ = ["ROLES", "CapturedElement", "CapturedScreen", "DesktopState", "capture_desktop", "capture_tk",
           "normalize_role"]
