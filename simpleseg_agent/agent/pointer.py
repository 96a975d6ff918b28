"""Acting on the desktop: the pointer and keyboard through pyautogui, imported on first use.

Coordinates here are integer ``xy_global`` desktop pixels, already bounds-checked by
:meth:`~simpleseg_agent.agent.frames.ScreenFrame.to_desktop`. pyautogui's fail-safe stays on by default:
moving the mouse into a screen corner stops every following call with ``pyautogui.FailSafeException``,
which the agent lets through on purpose (it is the user's emergency stop).

Anything with the methods of :class:`Pointer` can stand in (tests use
:class:`~simpleseg_agent.agent.testing.RecordingPointer`).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Literal, Protocol

from .._optional import require
from ..errors import ActionError
from .screen import DisplayError, check_display, ensure_xauthority

Button = Literal["left", "right", "middle"]
XY = tuple[int, int]


class Pointer(Protocol):
    def position(self) -> XY: ...

    def move(self, xy: XY) -> None: ...

    def click(self, xy: XY, *, button: Button = "left", clicks: int = 1) -> None: ...

    def drag(self, xy_from: XY, xy_to: XY, *, button: Button = "left") -> None: ...

    def scroll(self, clicks: int, xy: XY) -> None: ...

    def check_text(self, text: str) -> None: ...

    def write(self, text: str) -> None: ...

    def press(self, key: str) -> None: ...


def _import_pyautogui():
    check_display("moving the pointer")
    ensure_xauthority()  # python-xlib raises XauthError on a bare Xvfb otherwise
    try:
        gui = require("pyautogui", extra="agent", feature="the screen agent's pointer")
    except ImportError:
        raise
    except Exception as exc:  # pyautogui connects to the display at import: Xlib errors, KeyError, ...
        hint = ""
        if type(exc).__name__ == "XauthError":
            hint = (" (the X authority file is unreadable: point XAUTHORITY at a readable one, or at an empty file for "
                    "a server without access control such as a bare Xvfb)")
        raise DisplayError(f"pyautogui cannot connect to the display {os.environ.get('DISPLAY', '')!r}: "
                           f"{type(exc).__name__}: {exc}{hint}") from exc
    if sys.platform.startswith("linux"):
        # pyautogui keeps the X connection it opened at import; after DISPLAY changes it would talk to the old
        # server (and hang once that one is gone), so say so instead.
        bound = getattr(getattr(getattr(gui, "_pyautogui_x11", None), "_display", None), "get_display_name", None)
        if bound is not None and os.environ.get("DISPLAY") and bound() != os.environ["DISPLAY"]:
            raise DisplayError(
                f"pyautogui is bound to display {bound()!r} (opened when it was imported) but DISPLAY is now "
                f"{os.environ['DISPLAY']!r}; use one display per process"
            )
    return gui


class PyAutoGUIPointer:
    """The real pointer and keyboard.

    Args:
        failsafe: keep pyautogui's fail-safe (pointer in a screen corner -> ``FailSafeException``).
        pause_s: pyautogui's pause after each call (``pyautogui.PAUSE``, 0.1 s by default there too).
        move_duration_s: pointer travel time for moves and drags (0: jump).
    """

    def __init__(self, *, failsafe: bool = True, pause_s: float = 0.1, move_duration_s: float = 0.0) -> None:
        if pause_s < 0 or move_duration_s < 0:
            raise ActionError(f"pause_s and move_duration_s must be >= 0, got {pause_s} and {move_duration_s}")
        self.failsafe = bool(failsafe)
        self.pause_s = float(pause_s)
        self.move_duration_s = float(move_duration_s)
        self._gui = None

    @property
    def gui(self):
        if self._gui is None:
            self._gui = _import_pyautogui()
        # module-level settings: set at every use, so two pointers with different settings do not mix
        self._gui.FAILSAFE = self.failsafe
        self._gui.PAUSE = self.pause_s
        return self._gui

    def position(self) -> XY:
        x, y = self.gui.position()
        return int(x), int(y)

    def move(self, xy: XY) -> None:
        self.gui.moveTo(xy[0], xy[1], duration=self.move_duration_s)

    def click(self, xy: XY, *, button: Button = "left", clicks: int = 1) -> None:
        self.gui.click(xy[0], xy[1], clicks=clicks, interval=0.05 if clicks > 1 else 0.0, button=button)

    def drag(self, xy_from: XY, xy_to: XY, *, button: Button = "left") -> None:
        gui = self.gui
        gui.moveTo(xy_from[0], xy_from[1])
        # pyautogui.dragTo needs a duration for applications to see the motion between press and release
        gui.dragTo(xy_to[0], xy_to[1], duration=max(self.move_duration_s, 0.2), button=button)

    def scroll(self, clicks: int, xy: XY) -> None:
        self.gui.scroll(clicks, x=xy[0], y=xy[1])

    def check_text(self, text: str) -> None:
        """Raise :class:`ActionError` if ``text`` has characters pyautogui cannot type here."""
        gui = self.gui
        mapping = getattr(getattr(gui, "platformModule", None), "keyboardMapping", None)
        if mapping is not None:
            bad = sorted({c for c in text if mapping.get(c) is None})
        else:
            bad = sorted({c for c in text if not gui.isValidKey(c)})
        if bad:
            # pyautogui silently skips keys it cannot type; refuse instead of typing a different text
            raise ActionError(f"cannot type {''.join(bad)!r}: not on this keyboard map (pyautogui types ASCII keys only)")

    def write(self, text: str) -> None:
        self.check_text(text)
        gui = self.gui
        focus_window_under_pointer(gui)
        gui.write(text)

    def press(self, key: str) -> None:
        gui = self.gui
        focus_window_under_pointer(gui)
        gui.press(key)


def focus_window_under_pointer(gui: Any) -> bool:
    """On an X server without a window manager, give the keyboard focus to the top-level window under the
    pointer, as a click-to-focus window manager does on the click before typing; return whether it did.

    Without a window manager nobody moves the X input focus on a click: it stays ``PointerRoot`` (keys go to
    the window under the pointer), and a window that grabs the pointer, as every modal dialog does (Tk's
    ``grab_set``, ``tkinter.simpledialog``), then gets no keys at all. Under a window manager (the root
    window names one in ``_NET_SUPPORTING_WM_CHECK``), or when the focus is already inside that window, or off
    X11, nothing is done. ``gui`` is the imported pyautogui module (its X connection is used, so the focus
    change reaches the server after the click and before the keys).

    Example (anything without pyautogui's X connection is left alone):
        >>> focus_window_under_pointer(object())
        False
    """
    display = getattr(getattr(gui, "_pyautogui_x11", None), "_display", None)
    if display is None or not sys.platform.startswith("linux"):
        return False
    try:
        from Xlib import X

        root = display.screen().root
        if root.get_full_property(display.intern_atom("_NET_SUPPORTING_WM_CHECK"), X.AnyPropertyType) is not None:
            return False
        top = root.query_pointer().child
        if not top:
            return False
        window = display.get_input_focus().focus
        while isinstance(window, type(top)) and window.id not in (root.id, top.id):
            window = window.query_tree().parent  # up to the focused top-level window
        if isinstance(window, type(top)) and window.id == top.id:
            return False
        top.set_input_focus(X.RevertToPointerRoot, X.CurrentTime)
        display.sync()
    except Exception as exc:  # Xlib raises its own error types for a window that went away meanwhile
        raise DisplayError(f"cannot give the keyboard focus to the window under the pointer: {type(exc).__name__}: {exc}") from exc
    return True


__all__ = ["Button", "Pointer", "PyAutoGUIPointer", "focus_window_under_pointer"]
