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

from ...errors import CaptureError
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
            return _with_state(capture_tk(self.command_for(theme), resolution_wh=resolution_wh,
                                          wait_role=self.wait_role, timeout_s=timeout_s, source=self.app),
                               self.screen)
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
_ZENITY_FORMS = ("zenity", "--forms", "--title", "New contact", "--text", "Contact details",
                 "--add-entry", "First name", "--add-entry", "Last name", "--add-entry", "Email",
                 "--add-password", "PIN",
                 "--add-combo", "Group", "--combo-values", "Family|Friends|Work")
_QT_FILE = ("{python}", "{desktop}/_qt_stock.py", "file", "--{theme}")

#: Every desktop screen of the benchmark.
DESKTOP_SOURCES: tuple[DesktopSource, ...] = (
    DesktopSource("gtk3-widget-factory", "page-1", "gtk", _FACTORY),
    DesktopSource("gtk3-widget-factory", "page-2", "gtk", _FACTORY, steps=(("@click", "radio", "Page 2"),)),
    DesktopSource("gtk3-widget-factory", "page-3", "gtk", _FACTORY, steps=(("@click", "radio", "Page 3"),)),
    _zenity("question", "--question", "--title", "Delete file", "--text", "Delete the selected file permanently?"),
    _zenity("entry", "--entry", "--title", "Rename", "--text", "New name of the file:", "--entry-text", "notes.txt"),
    _zenity("password", "--password", "--username", "--title", "Sign in"),
    _zenity("warning", "--warning", "--title", "Disk almost full", "--text", "Only 2 GB are left on the disk."),
    DesktopSource("zenity", "forms", "gtk", _ZENITY_FORMS),
    DesktopSource("zenity", "forms-group-open", "gtk", _ZENITY_FORMS, steps=(("@click", "select", "Group"),),
                  state_wait_role="menuitem"),
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
    DesktopSource("qt-dialogs", "file-list-view", "qt", _QT_FILE, steps=(("@click", "button", "List View"),)),
    *(_wx(s) for s in ("text-entry", "password", "single-choice", "multi-choice", "number-entry")),
    DesktopSource("tk-tkinter-test", "default", "tk", ("-m", "tkinter"), themes=("light",)),
    DesktopSource("tk-turtledemo", "default", "tk", ("-m", "turtledemo"), themes=("light",)),
    DesktopSource("tk-idle", "shell", "tk", ("-m", "idlelib"), wait_role="menuitem", themes=("light",)),
)


#: Each app of :data:`DESKTOP_SOURCES`: its toolkit and why it is in the benchmark.
DESKTOP_APPS: dict[str, tuple[str, str]] = {
    "gtk3-widget-factory": ("gtk", "GTK 3's own showcase of every stock widget, in three pages (gtk-3-examples)"),
    "zenity": ("gtk", "stock GTK dialogs used by shell scripts: questions, entries, forms, lists, scales"),
    "yad": ("gtk", "zenity's richer sibling: forms with check boxes, combo boxes, spin buttons, custom buttons"),
    "qt-dialogs": ("qt", "Qt 6's own stock dialogs (message box, input, font, colour, file, progress; PySide6)"),
    "wx-dialogs": ("wx", "wxPython's generic stock dialogs (text entry, password, choices, number entry)"),
    "tk-tkinter-test": ("tk", "the test window Python's tkinter ships (python -m tkinter)"),
    "tk-turtledemo": ("tk", "the turtle demo viewer Python ships (python -m turtledemo)"),
    "tk-idle": ("tk", "IDLE, the editor and shell Python ships, with its menu bar (python -m idlelib)"),
}


def iter_app_captures(app: str, *, themes=THEMES, resolutions=RESOLUTIONS,
                      timeout_s: float = 20.0) -> Iterator[CapturedScreen]:
    """Capture every screen of one app (see :data:`DESKTOP_APPS`) in every theme and resolution.

    Raises:
        CaptureError: ``app`` is unknown, or a capture failed.

    Example (needs the desktop programs):
        >>> shots = iter_app_captures("zenity", themes=("light",), resolutions=((1280, 800),))  # doctest: +SKIP
        >>> [s.state for s in shots][:2]                                                        # doctest: +SKIP
        ['question', 'entry']
    """
    if app not in DESKTOP_APPS:
        raise CaptureError(f"unknown desktop app {app!r}; one of {sorted(DESKTOP_APPS)}")
    for *_, screen in iter_captures([s for s in DESKTOP_SOURCES if s.app == app], themes=themes,
                                    resolutions=resolutions, timeout_s=timeout_s):
        yield screen


def bench_desktop_capture(runs: int = 3, command: tuple[str, ...] = ("zenity", "--question", "--title", "Bench",
                                                                     "--text", "Delete the file?"),
                          window_name: str = "Bench") -> dict:
    """Time a cold desktop capture (new X server, bus, app, tree, screenshot, stop) against a plain screenshot.

    The baseline, in the same run, starts the same X server, bus and app, waits for its window (titled
    ``window_name``) with ``xdotool search --sync`` and takes the screenshot without reading any element.
    Returns medians in seconds and their ratio; the target is ``capture_s <= 3``.

    Example (needs the desktop programs):
        >>> r = bench_desktop_capture(runs=1)                  # doctest: +SKIP
        >>> r["target_3s"]                                     # doctest: +SKIP
        True
    """
    import statistics
    import subprocess
    import time

    from .atspi import grab_screen
    from .session import DesktopSession

    capture, plain, n = [], [], 0
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        screen = capture_desktop(list(command))
        capture.append(time.perf_counter() - t0)
        n = len(screen.elements)
        t0 = time.perf_counter()
        with DesktopSession() as session:
            session.launch(list(command))
            try:
                subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", window_name],
                               env=session.env(), capture_output=True, timeout=20)
            except subprocess.TimeoutExpired:
                raise CaptureError(f"no window named {window_name!r} showed within 20 s "
                                   "(the baseline's wait)") from None
            grab_screen(session)
        plain.append(time.perf_counter() - t0)
    capture_s, plain_s = statistics.median(capture), statistics.median(plain)
    return {"command": list(command), "elements": n, "runs": len(capture), "capture_s": round(capture_s, 3),
            "screenshot_s": round(plain_s, 3), "ratio": round(capture_s / plain_s, 2), "target_3s": capture_s <= 3.0}


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
