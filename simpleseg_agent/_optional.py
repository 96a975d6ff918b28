"""Import optional packages where a feature needs them, with an install hint on failure."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError


def require(module: str, *, extra: str, feature: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install.

    Example:
        >>> np = require("numpy", extra="dev", feature="this example")
        >>> np.__name__
        'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # the package or one of its own dependencies is missing
        raise MissingDependencyError(package or module, extra, feature) from exc


def is_available(module: str) -> bool:
    """Return whether ``module`` can be imported, without raising.

    Example:
        >>> is_available("numpy"), is_available("surely_not_a_module_xyz")
        (True, False)
    """
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
