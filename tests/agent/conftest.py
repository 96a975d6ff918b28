"""X fixtures: one private Xvfb for the session (never the developer's desktop), monitor layouts, windows.

pyautogui binds to the display it finds at its first import and keeps it, so the whole session uses
one server (2560x800) whose monitors are re-split per test with xrandr. Without Xvfb the X tests are
skipped, unless SIMPLESEG_REQUIRE_X=1 (CI), where they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from simpleseg_agent.agent.testing import TkWindow, XvfbServer

SCREEN_WH = (2560, 800)
LEFT = (0, 0, 1280, 800)
RIGHT = (1280, 0, 1280, 800)
PARK_XY = (7, 9)  # where the pointer rests between tests: no window goes there, and it is not a fail-safe corner


def _missing() -> str:
    if shutil.which("Xvfb") is None:
        return "Xvfb is not installed (apt-get install xvfb x11-xserver-utils)"
    if shutil.which("xrandr") is None:
        return "xrandr is not installed (apt-get install x11-xserver-utils)"
    for module in ("mss", "pyautogui", "Xlib", "tkinter"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'simpleseg-agent[agent]'; tkinter comes with Python)"
    return ""


@pytest.fixture(scope="session")
def xserver():
    reason = _missing()
    if reason:
        if os.environ.get("SIMPLESEG_REQUIRE_X"):
            pytest.fail(f"SIMPLESEG_REQUIRE_X is set but {reason}")
        pytest.skip(reason)
    server = XvfbServer(SCREEN_WH).start()
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "XAUTHORITY")}
    os.environ.update(DISPLAY=server.display, XAUTHORITY=server.xauthority)
    try:
        yield server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


class XPointer:
    """Reads and warps the pointer over its own X connection (independent of pyautogui)."""

    def __init__(self, display: str) -> None:
        from Xlib.display import Display

        self.display = Display(display)

    def position(self) -> tuple[int, int]:
        p = self.display.screen().root.query_pointer()
        return (p.root_x, p.root_y)

    def warp(self, xy) -> None:
        self.display.screen().root.warp_pointer(int(xy[0]), int(xy[1]))
        self.display.sync()


@pytest.fixture(scope="session")
def xpointer(xserver):
    p = XPointer(xserver.display)
    yield p
    p.display.close()


@pytest.fixture
def single_monitor(xserver, xpointer):
    """One monitor: the whole 2560x800 screen."""
    xserver.set_monitors([])
    xpointer.warp(PARK_XY)
    return xserver


@pytest.fixture
def dual_monitors(xserver, xpointer):
    """Two 1280x800 monitors side by side (mss: 1 = left, 2 = right)."""
    xserver.set_monitors([LEFT, RIGHT])
    xpointer.warp(PARK_XY)
    return xserver


@pytest.fixture
def open_window(xserver):
    windows: list[TkWindow] = []

    def _open(spec: dict) -> TkWindow:
        w = TkWindow(spec, env=xserver.env())
        windows.append(w)
        return w

    yield _open
    for w in windows:
        w.close()
