"""Real screens as data: real UIs rendered by their own engines, labelled from their own element trees."""

from .elements import ROLES, CapturedElement, CapturedScreen, normalize_role

__all__ = ["ROLES", "CapturedElement", "CapturedScreen", "normalize_role"]
