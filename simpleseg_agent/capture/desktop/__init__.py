"""Desktop apps as data: GTK, Qt and wx apps read over AT-SPI on a private Xvfb, and Tk apps from Tk's widget tree.

See :func:`capture_desktop`, :func:`capture_tk` and :data:`.sources.DESKTOP_SOURCES`.
"""

from .atspi import DesktopState, capture_desktop, elements_from_nodes
from .tk import capture_tk
from .session import DesktopSession, theme_env

__all__ = ["DesktopSession", "DesktopState", "capture_desktop", "capture_tk", "elements_from_nodes", "theme_env"]
