"""One exception hierarchy for the whole toolkit.

Every error raised on purpose by ``simpleseg_agent`` derives from :class:`SimpleSegError`, so a
caller can catch the library's failures without catching programming errors such as ``TypeError``.

Example:
    >>> from simpleseg_agent.errors import ParseError, SimpleSegError
    >>> issubclass(ParseError, SimpleSegError)
    True
"""

from __future__ import annotations


class SimpleSegError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class ParseError(SimpleSegError, ValueError):
    """A model answer (or user text) is not valid coordinate text.

    Attributes:
        position: character offset in the text where the problem was found, or ``None``.
        expected: what the parser expected at that position, or ``None``.
    """

    def __init__(self, message: str, *, position: int | None = None, expected: str | None = None) -> None:
        where = f" at character {position}" if position is not None else ""
        hint = f" (expected {expected})" if expected else ""
        super().__init__(f"{message}{where}{hint}")
        self.position = position
        self.expected = expected


class NotFoundError(SimpleSegError, LookupError):
    """The model answered, but with no coordinates: the object was not found."""


class GeometryError(SimpleSegError, ValueError):
    """A shape, mask or coordinate array is invalid: empty, degenerate, wrong shape, NaN, out of range."""


class PromptError(SimpleSegError, ValueError):
    """A query or prompt request is invalid: empty text, unknown kind, unsupported combination."""


class ImageError(SimpleSegError, ValueError):
    """An image cannot be read or has an unsupported layout."""


class ModelError(SimpleSegError, RuntimeError):
    """A model backend failed to load or to answer."""


class ActionError(SimpleSegError, RuntimeError):
    """A planned GUI or robot action was refused (unsafe, out of bounds, implausible target)."""


class CaptureError(SimpleSegError, RuntimeError):
    """A capture of a real UI failed: the page or app did not load, showed no elements, or its engine
    stopped answering; or the output folder already holds data."""


class MissingDependencyError(SimpleSegError, ImportError):
    """An optional package needed by the requested feature is not installed."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package '{package}'. "
            f"Install it with: pip install 'simpleseg-agent[{extra}]'"
        )
        self.package = package
        self.extra = extra


class MissingProgramError(MissingDependencyError):
    """A program (not a Python package) needed by the requested feature is not installed.

    Example:
        >>> err = MissingProgramError("tesseract", "apt install tesseract-ocr", "reading the screen")
        >>> isinstance(err, MissingDependencyError), str(err)
        (True, "reading the screen needs the program 'tesseract'. Install it with: apt install tesseract-ocr")
    """

    def __init__(self, program: str, install: str, feature: str) -> None:
        SimpleSegError.__init__(self, f"{feature} needs the program '{program}'. Install it with: {install}")
        self.package = program
        self.extra = ""
        self.install = install
