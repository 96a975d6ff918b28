"""Capture a Tk app with the true boxes of its widgets, read from Tk's own widget tree.

Tk does not publish its widgets to the accessibility bus, and a Tk app's widgets cannot be read from
outside its process; so :func:`capture_tk` runs the app — a Python script, or ``-m module`` — inside a
small runner (:mod:`._tk_runner`) that wraps ``tkinter.Tk`` and writes the widget tree (class, text, and
the screen box from ``winfo_rootx/rooty/width/height``) to a file from Tk's own event loop. Apps not
written in Python (``wish`` scripts) are not supported. Widgets map onto roles by their Tk class
(``Button`` / ``TButton`` -> button, ``Entry`` -> field, ``Checkbutton`` -> checkbox...). A window's menu
bar is a clone widget Tk draws itself: its entries become menu items, boxed from the entries' x positions
(the last one from its text width and its neighbour's padding). ttk notebook tabs and open menus have no
widget or position Tk reports, and are not captured.

Example (needs Xvfb and a Python with tkinter):
    >>> s = capture_tk(["-m", "tkinter"])                       # Python's own Tk test window  # doctest: +SKIP
    >>> sorted(e.name for e in s.elements if e.role == "button")                               # doctest: +SKIP
    ['Click me!', 'QUIT']
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence

from ...errors import CaptureError
from ..elements import ROLES, CapturedScreen, normalize_role
from .atspi import stderr_tail, elements_from_nodes, grab_screen
from .session import DesktopSession

_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_tk_runner.py")


def _read(path: str) -> list[dict]:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return []


def capture_tk(target: Sequence[str], *, resolution_wh: tuple[int, int] = (1280, 800), wait_role: str = "button",
               timeout_s: float = 15.0, python: str | None = None, source: str | None = None) -> CapturedScreen:
    """Run a Python Tk app on a private desktop and capture its screen with the true boxes of its widgets.

    Args:
        target: ``["app.py", *args]`` or ``["-m", "module", *args]``.
        resolution_wh: the screen size in pixels.
        wait_role: capture once a widget of this role (one of :data:`~..elements.ROLES`) is mapped.
        timeout_s: how long the app may take to show it.
        python: the interpreter (default: this one; it needs tkinter).
        source: the app's id (default: the script's or module's name).

    Raises:
        CaptureError: the app does not start, exits, or never shows a window with such a widget in time.

    Example: see the module docstring.
    """
    target = [str(t) for t in target]
    if not target or (target[0] == "-m" and len(target) < 2):
        raise CaptureError(f"target must be ['app.py', *args] or ['-m', 'module', *args], got {target!r}")
    if target[0] != "-m" and not os.path.isfile(target[0]):
        raise CaptureError(f"the app does not start: no such script {target[0]!r}")
    if wait_role not in ROLES or wait_role == "other":
        raise CaptureError(f"wait_role must be one of {[x for x in ROLES if x != 'other']}, got {wait_role!r}")
    name = source or (target[1] if target[0] == "-m" else os.path.splitext(os.path.basename(target[0]))[0])
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    with tempfile.TemporaryDirectory(prefix="simpleseg-tk-") as tmp, \
            DesktopSession(resolution_wh, timeout_s=max(5.0, timeout_s)) as session:
        dump = os.path.join(tmp, "tree.json")
        command = [python or sys.executable, _RUNNER, dump, *target]
        app = session.launch(command)
        nodes: list[dict] = []
        while True:
            if app.poll() is not None:
                raise CaptureError(f"the app exited with status {app.returncode} before it showed a window: "
                                   f"{' '.join(target)}{stderr_tail(app)}")
            nodes = _read(dump)
            if any(n["showing"] and normalize_role(n["role"]) == wait_role for n in nodes):
                image = grab_screen(session)
                again = _read(dump)
                if again == nodes:
                    break  # the tree did not change around the screenshot
            if time.monotonic() > deadline:
                what = "never showed a window" if not nodes else f"showed no {wait_role} widget"
                raise CaptureError(f"the app {what} within {timeout_s:g} s: {' '.join(target)}{stderr_tail(app)}")
            time.sleep(0.05)
        elements = elements_from_nodes(nodes, session.resolution_wh)
    return CapturedScreen(image=image, elements=tuple(elements), source=name, toolkit="tk", theme="light",
                          meta={"command": target, "engine": "tk", "nodes": len(nodes),
                                "seconds": round(time.monotonic() - t0, 3)})
