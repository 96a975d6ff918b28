"""Screenshots of one monitor, with the frame they were taken in.

:class:`MssScreen` grabs with mss (imported on first use; constructing it needs a display);
:class:`StaticScreen` serves a fixed image as if it were a monitor, to plan actions on a saved
screenshot, or in tests. Anything with ``monitor(index) -> Monitor`` and
``grab(index) -> Screenshot`` can stand in for them.

Example (no display needed):
    >>> from PIL import Image
    >>> screen = StaticScreen(Image.new("RGB", (2560, 1600)), Monitor(1, 0, 0, 1280, 800))
    >>> shot = screen.grab(1)
    >>> shot.image.size, shot.frame.scale_xy
    ((2560, 1600), (2.0, 2.0))
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from .._optional import require
from ..errors import ActionError
from .frames import Monitor, ScreenFrame


class DisplayError(ActionError):
    """The display cannot be reached (no ``DISPLAY``, a dead X server, no such monitor)."""


def check_display(feature: str) -> None:
    """Raise :class:`DisplayError` early where X11 is the only option and ``DISPLAY`` is unset.

    Without it, ``import pyautogui`` fails with ``KeyError: 'DISPLAY'`` and mss with an X error.
    """
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise DisplayError(
            f"{feature} needs a display, and DISPLAY is not set. Run it in a desktop session, or on a "
            "headless machine under Xvfb (apt-get install xvfb; simpleseg_agent.agent.testing.XvfbServer starts one)."
        )


_EMPTY_XAUTHORITY: str | None = None
_XAUTH_LOCK = threading.Lock()


def ensure_xauthority() -> str | None:
    """Where X11 is used and neither ``XAUTHORITY`` nor ``~/.Xauthority`` exists, point ``XAUTHORITY`` at an
    empty private file (once per process) and return its path; else change nothing and return ``None``.

    python-xlib (under pyautogui) reads that file when it connects and raises ``XauthError`` when it is missing,
    which a bare Xvfb (no display manager wrote a cookie) always hits; with an empty file it connects without
    a cookie, as libX11 (under mss) does. A server that needs a cookie still refuses, with its own error.

    Example:
        >>> import os
        >>> path = ensure_xauthority()
        >>> path is None or (os.environ["XAUTHORITY"] == path and os.path.getsize(path) == 0)
        True
    """
    global _EMPTY_XAUTHORITY
    if not sys.platform.startswith("linux"):
        return None
    with _XAUTH_LOCK:
        if os.environ.get("XAUTHORITY") or os.path.exists(os.path.expanduser("~/.Xauthority")):
            return None
        if _EMPTY_XAUTHORITY is None or not os.path.exists(_EMPTY_XAUTHORITY):
            import tempfile

            fd, _EMPTY_XAUTHORITY = tempfile.mkstemp(prefix="simpleseg-xauth-")  # mode 0600: this user's only
            os.close(fd)
        os.environ["XAUTHORITY"] = _EMPTY_XAUTHORITY
        return _EMPTY_XAUTHORITY


@dataclass(frozen=True)
class Screenshot:
    """An RGB image of a monitor, the frame it was taken in, and how long the grab took."""

    image: Image.Image
    frame: ScreenFrame
    grab_s: float = 0.0


class Screen(Protocol):
    def monitor(self, index: int) -> Monitor: ...

    def grab(self, index: int) -> Screenshot: ...


class MssScreen:
    """Screenshots with mss. Monitors are numbered as mss does: 1, 2, ... single monitors, 0 all of them.

    The monitor list is read once (call :meth:`refresh` after plugging a monitor in).

    Speed: the grab itself takes about 1.5 ms at 2560x1440; most of a screenshot's time is Pillow
    allocating fresh memory for the image (about 18 ms at that size, page faults). A long-running agent
    can let Pillow keep freed blocks, process-wide, with ``PILLOW_BLOCKS_MAX=4`` in the environment (or
    ``PIL.Image.core.set_blocks_max(4)``): the screenshot then takes about 7 ms.
    """

    def __init__(self) -> None:
        self._sct = None
        self._lock = threading.Lock()

    def _mss(self):
        with self._lock:
            if self._sct is None:
                mss = require("mss", extra="agent", feature="screenshots")
                check_display("taking a screenshot")
                factory = getattr(mss, "MSS", None) or mss.mss  # MSS from 10.x; older releases only have mss()
                try:
                    self._sct = factory()
                except Exception as exc:  # X errors come in many types (XError, ScreenShotError, OSError)
                    raise DisplayError(f"cannot open the display for screenshots ({os.environ.get('DISPLAY', '')!r}): {exc}") from exc
            return self._sct

    def monitors(self) -> list[Monitor]:
        """Every monitor, index 0 being all of them together."""
        out = []
        for i, m in enumerate(self._mss().monitors):
            out.append(Monitor(i, int(m["left"]), int(m["top"]), int(m["width"]), int(m["height"]), str(m.get("name") or m.get("output") or "")))
        return out

    def monitor(self, index: int) -> Monitor:
        monitors = self.monitors()
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(monitors):
            shown = ", ".join(f"{m.index}: {m.width}x{m.height}+{m.left}+{m.top}" for m in monitors)
            raise DisplayError(f"no monitor {index!r}; this display has {shown} (0 is all monitors together)")
        return monitors[index]

    def grab(self, index: int) -> Screenshot:
        monitor = self.monitor(index)
        t0 = time.perf_counter()
        try:
            raw = self._mss().grab({"left": monitor.left, "top": monitor.top, "width": monitor.width, "height": monitor.height})
        except Exception as exc:
            raise DisplayError(f"the screenshot of {monitor.describe()} failed: {exc}") from exc
        # decode the grab's own buffer (raw.bgra would copy it first: ~7 ms more at 2560x1440)
        image = Image.frombytes("RGB", raw.size, raw.raw, "raw", "BGRX")
        return Screenshot(image, ScreenFrame(monitor, image.size), time.perf_counter() - t0)

    def refresh(self) -> None:
        """Forget the monitor list (and the connection); the next call reads them again."""
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._sct is not None:
                self._sct.close()
                self._sct = None


class StaticScreen:
    """A fixed image served as monitor ``monitor.index`` (default: monitor 1 at the desktop origin, same size).

    A ``monitor`` smaller than the image stands for a HiDPI grab (``scale = image / monitor``).
    """

    def __init__(self, image, monitor: Monitor | None = None) -> None:
        from ..images import load_image

        self.image = load_image(image)
        self.screen_monitor = monitor or Monitor(1, 0, 0, *self.image.size)

    def monitor(self, index: int) -> Monitor:
        if index != self.screen_monitor.index:
            raise DisplayError(f"no monitor {index!r}; this static screen is monitor {self.screen_monitor.index}")
        return self.screen_monitor

    def grab(self, index: int) -> Screenshot:
        monitor = self.monitor(index)
        return Screenshot(self.image, ScreenFrame(monitor, self.image.size))


__all__ = ["DisplayError", "MssScreen", "Screen", "Screenshot", "StaticScreen", "check_display"]
