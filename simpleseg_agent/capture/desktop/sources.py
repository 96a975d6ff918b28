"""Desktop screens for the real-UI benchmark: real apps and dialogs nobody on the project drew.

Each :class:`DesktopSource` is one screen of one app: a command line (GTK's widget factory, zenity and yad
dialogs, Qt's and wx's stock dialogs, Python's own Tk apps), optional scripted steps that reach a state
(switch a page, open a popover), and the role to wait for. The benchmark builder iterates
:data:`DESKTOP_SOURCES` x :data:`THEMES` x :data:`RESOLUTIONS` and calls :meth:`DesktopSource.capture`;
``app`` is what a benchmark splits on (dev/test by app, never by screen).

Why these: each installs reproducibly from Debian or PyPI (``gtk-3-examples zenity yad python3-wxgtk4.0``,
``PySide6-Essentials``), draws with its toolkit's own widgets and themes, and exposes real accessible names.
The dialogs' texts are fixed here so a screen is the same on every machine (a file dialog lists a fixed folder
with fixed dates).

Example:
    >>> len({s.app for s in DESKTOP_SOURCES}) >= 6, {s.toolkit for s in DESKTOP_SOURCES} >= {"gtk", "qt", "wx", "tk"}
    (True, True)
    >>> src = next(s for s in DESKTOP_SOURCES if s.app == "qt-dialogs" and s.screen == "messagebox")
    >>> src.command_for("dark")[-2:]
    ['messagebox', '--dark']
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from ..elements import CapturedScreen
from .atspi import DesktopState, capture_desktop
from .tk import capture_tk

THEMES = ("light", "dark")
RESOLUTIONS = ((1280, 800), (1920, 1080))

_HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PYTHON = "/usr/bin/python3"


@dataclass(frozen=True)
class DesktopSource:
    """One screen of one desktop app.

    Attributes:
        app: the app's id (what a benchmark splits on).
        screen: this screen's name, recorded as the captured state.
        toolkit: ``gtk``, ``qt``, ``wx`` or ``tk``.
        command: the command line; ``{python}`` is this interpreter, ``{system_python}`` Debian's (for wx),
            ``{desktop}`` this package's folder, ``{theme}`` the theme name. For ``tk``: the runner's target
            (``["-m", "module"]`` or ``["app.py"]``).
        steps: scripted steps after the app shows: xdotool argument lists, or ``("@click", role, name)`` to
            click the centre of the element of that role and name.
        wait_role: capture once an element of this role shows (after the steps: ``state_wait_role``).
        themes: the themes this screen is captured in (Tk: light only).
    """

    app: str
    screen: str
    toolkit: str
    command: tuple[str, ...]
    steps: tuple[tuple[str, ...], ...] = ()
    wait_role: str = "button"
    state_wait_role: str | None = None
    themes: tuple[str, ...] = THEMES

    def command_for(self, theme: str) -> list[str]:
        """The command line with its placeholders filled for ``theme``."""
        values = {"python": sys.executable, "system_python": SYSTEM_PYTHON, "desktop": _HERE, "theme": theme}
        return [part.format(**values) for part in self.command]

    def capture(self, *, theme: str = "light", resolution_wh: tuple[int, int] = (1280, 800),
                timeout_s: float = 20.0) -> CapturedScreen:
        """Capture this screen (see :func:`~.atspi.capture_desktop`, :func:`~.tk.capture_tk`)."""
        if self.toolkit == "tk":
            return capture_tk(self.command_for(theme), resolution_wh=resolution_wh, wait_role=self.wait_role,
                              timeout_s=timeout_s, source=self.app)
        state = DesktopState(self.screen, self.steps, self.state_wait_role) if self.steps else None
        screen = capture_desktop(self.command_for(theme), toolkit=self.toolkit, resolution_wh=resolution_wh,
                                 theme=theme, wait_role=self.wait_role, timeout_s=timeout_s, state=state,
                                 source=self.app)
        return screen if state is not None else _with_state(screen, self.screen)


def _with_state(screen: CapturedScreen, state: str) -> CapturedScreen:
    from dataclasses import replace

    return replace(screen, state=state)


def _zenity(screen: str, *args: str, wait_role: str = "button") -> DesktopSource:
    return DesktopSource("zenity", screen, "gtk", ("zenity", *args), wait_role=wait_role)


def _yad(screen: str, *args: str, wait_role: str = "button") -> DesktopSource:
    return DesktopSource("yad", screen, "gtk", ("yad", "--center", *args), wait_role=wait_role)


def _qt(screen: str) -> DesktopSource:
    return DesktopSource("qt-dialogs", screen, "qt", ("{python}", "{desktop}/_qt_stock.py", screen, "--{theme}"))


def _wx(screen: str) -> DesktopSource:
    return DesktopSource("wx-dialogs", screen, "wx", ("{system_python}", "{desktop}/_wx_stock.py", screen))


_FACTORY = ("gtk3-widget-factory",)

#: Every desktop screen of the benchmark.
DESKTOP_SOURCES: tuple[DesktopSource, ...] = (
    DesktopSource("gtk3-widget-factory", "page-1", "gtk", _FACTORY),
    DesktopSource("gtk3-widget-factory", "page-2", "gtk", _FACTORY, steps=(("@click", "radio", "Page 2"),)),
    DesktopSource("gtk3-widget-factory", "page-3", "gtk", _FACTORY, steps=(("@click", "radio", "Page 3"),)),
    _zenity("question", "--question", "--title", "Delete file", "--text", "Delete the selected file permanently?"),
    _zenity("entry", "--entry", "--title", "Rename", "--text", "New name of the file:", "--entry-text", "notes.txt"),
    _zenity("password", "--password", "--username", "--title", "Sign in"),
    _zenity("warning", "--warning", "--title", "Disk almost full", "--text", "Only 2 GB are left on the disk."),
    _zenity("forms", "--forms", "--title", "New contact", "--text", "Contact details", "--add-entry", "First name",
            "--add-entry", "Last name", "--add-entry", "Email", "--add-password", "PIN",
            "--add-combo", "Group", "--combo-values", "Family|Friends|Work"),
    _zenity("list", "--list", "--title", "Choose a mirror", "--column", "Mirror", "--column", "Country",
            "deb.example.org", "Germany", "ftp.example.net", "France", "mirror.example.com", "Japan",
            wait_role="listitem"),
    _zenity("scale", "--scale", "--title", "Volume", "--text", "Set the volume", "--value", "40"),
    _zenity("checklist", "--list", "--checklist", "--title", "Install", "--column", "Pick", "--column", "Package",
            "TRUE", "editor", "FALSE", "compiler", "TRUE", "debugger", wait_role="listitem"),
    _yad("form", "--title", "Preferences", "--form", "--field", "User name", "--field", "Start at login:CHK",
         "--field", "Language:CB", "English!Deutsch!Français", "--field", "Font size:NUM", "", "TRUE", "", "12"),
    _yad("buttons", "--title", "Update available", "--text", "A new version is ready to install.",
         "--button", "Later:1", "--button", "Release notes:2", "--button", "Install now:0"),
    _yad("entry", "--title", "Search", "--entry", "--text", "Find files named:"),
    *(_qt(s) for s in ("messagebox", "question", "input-text", "input-item", "input-int", "font", "color", "file",
                       "progress")),
    *(_wx(s) for s in ("text-entry", "password", "single-choice", "multi-choice", "number-entry")),
    DesktopSource("tk-tkinter-test", "default", "tk", ("-m", "tkinter"), themes=("light",)),
    DesktopSource("tk-turtledemo", "default", "tk", ("-m", "turtledemo"), themes=("light",)),
)


def iter_captures(sources=DESKTOP_SOURCES, *, themes=THEMES, resolutions=RESOLUTIONS,
                  timeout_s: float = 20.0) -> Iterator[tuple[DesktopSource, str, tuple[int, int], CapturedScreen]]:
    """Capture every source in every theme it supports and every resolution, in a fixed order.

    Example (needs the desktop programs):
        >>> next(iter_captures(DESKTOP_SOURCES[:1]))[3].source        # doctest: +SKIP
        'gtk3-widget-factory'
    """
    for src in sources:
        for theme in themes:
            if theme not in src.themes:
                continue
            for wh in resolutions:
                yield src, theme, wh, src.capture(theme=theme, resolution_wh=wh, timeout_s=timeout_s)
