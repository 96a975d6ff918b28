"""Desktop apps as data: GTK, Qt and wx apps read over AT-SPI on a private Xvfb, and Tk apps from Tk's widget tree.

* :func:`capture_desktop` — an app's command line -> :class:`~..elements.CapturedScreen` (AT-SPI);
* :func:`capture_tk` — a Python Tk script or module -> the same, from Tk's own widget tree;
* :data:`DESKTOP_SOURCES`, :func:`iter_app_captures` — the real-UI benchmark's desktop apps and screens;
* :func:`bench_desktop_capture` — a timed cold capture against a plain screenshot.
"""

from .atspi import DesktopState, capture_desktop, elements_from_nodes
from .session import DesktopSession, theme_env
from .sources import DESKTOP_APPS, DESKTOP_SOURCES, DesktopSource, bench_desktop_capture, iter_app_captures
from .tk import capture_tk

__all__ = ["DESKTOP_APPS", "DESKTOP_SOURCES", "DesktopSession", "DesktopSource", "DesktopState",
           "bench_desktop_capture", "capture_desktop", "capture_tk", "elements_from_nodes", "iter_app_captures",
           "theme_env"]
