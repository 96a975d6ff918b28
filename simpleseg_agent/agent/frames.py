"""The coordinate chain of a screen action: model space -> screenshot pixels -> monitor -> global desktop.

Four frames, each named by its suffix:

* ``xy_norm`` — fractions of the screenshot's width and height, ``[0, 1)``; what the tools return
  (the answer's own space, ``norm`` / ``1000`` / model-input pixels, is converted by the parser).
* ``xy_screenshot_px`` — pixels of the screenshot image as grabbed (on a HiDPI screen: physical pixels).
* ``xy_monitor`` — logical pixels (what the pointer API takes) from the monitor's top-left corner.
* ``xy_global`` — logical desktop coordinates, the pointer's frame (``monitor.left + x``, ``monitor.top + y``).

The HiDPI scale is measured, not configured: ``scale_xy = screenshot_wh / monitor_wh`` (2.0 on a
Retina screen grabbed at physical resolution, 1.0 on X11, 0.5 for a screenshot downsized before the
model). All conversions go through :meth:`ScreenFrame.to_desktop`, the one bounds-checked function:
a point that is not finite or that would land outside the chosen monitor raises
:class:`~simpleseg_agent.errors.ActionError`, whatever the model answered.

Pixels follow the rest of the package: pixel column ``c`` covers ``[c, c + 1)``, so the integer
pixel the pointer is sent to is ``floor(xy_global)``, and it must satisfy
``left <= x < left + width`` (same for y).

Example:
    >>> right = Monitor(index=2, left=1280, top=0, width=1280, height=800)
    >>> frame = ScreenFrame(right, screenshot_wh=(2560, 1600))      # a 2x HiDPI grab
    >>> frame.scale_xy
    (2.0, 2.0)
    >>> p = frame.to_desktop((0.5, 0.25))
    >>> p.xy_screenshot_px, p.xy_monitor, p.xy_global, p.xy_action
    ((1280.0, 400.0), (640.0, 200.0), (1920.0, 200.0), (1920, 200))
    >>> frame.to_desktop((1.0, 0.5))
    Traceback (most recent call last):
    ...
    simpleseg_agent.errors.ActionError: the target (2560.0, 400.0) would fall outside monitor 2 (x 1280..2559, y 0..799); refusing to act
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ActionError


@dataclass(frozen=True)
class Monitor:
    """A monitor's rectangle on the desktop, in logical pixels (the pointer API's units).

    ``index`` follows mss: 1, 2, ... are single monitors, 0 is the bounding box of all of them.
    """

    index: int
    left: int
    top: int
    width: int
    height: int
    name: str = ""

    def __post_init__(self) -> None:
        for key in ("index", "left", "top", "width", "height"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ActionError(f"Monitor.{key} must be an int, got {value!r}")
        if self.width <= 0 or self.height <= 0:
            raise ActionError(f"a monitor needs a positive size, got {self.width}x{self.height}")

    @property
    def xywh(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.width, self.height)

    @property
    def wh(self) -> tuple[int, int]:
        return (self.width, self.height)

    def contains(self, xy_global: tuple[int, int]) -> bool:
        """Whether the integer desktop pixel lies on this monitor.

        Example:
            >>> m = Monitor(1, 0, 0, 1280, 800)
            >>> m.contains((1279, 799)), m.contains((1280, 0)), m.contains((0, -1))
            (True, False, False)
        """
        x, y = xy_global
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height

    def describe(self) -> str:
        return (f"monitor {self.index} (x {self.left}..{self.left + self.width - 1}, "
                f"y {self.top}..{self.top + self.height - 1})")


@dataclass(frozen=True)
class PointChain:
    """One point in every frame of the chain (see the module docstring), and the pixel acted on."""

    xy_norm: tuple[float, float]
    xy_screenshot_px: tuple[float, float]
    xy_monitor: tuple[float, float]
    xy_global: tuple[float, float]
    xy_action: tuple[int, int]


@dataclass(frozen=True)
class ScreenFrame:
    """What a screenshot shows: which monitor, grabbed at which size.

    Attributes:
        monitor: the grabbed monitor, in logical desktop pixels.
        screenshot_wh: the screenshot image's ``(width, height)`` in its own pixels.
    """

    monitor: Monitor
    screenshot_wh: tuple[int, int]

    def __post_init__(self) -> None:
        w, h = self.screenshot_wh
        if not (isinstance(w, int) and isinstance(h, int)) or w <= 0 or h <= 0:
            raise ActionError(f"screenshot_wh must be two positive ints, got {self.screenshot_wh!r}")

    @property
    def scale_xy(self) -> tuple[float, float]:
        """Screenshot pixels per logical pixel, per axis (the HiDPI factor)."""
        return (self.screenshot_wh[0] / self.monitor.width, self.screenshot_wh[1] / self.monitor.height)

    def to_desktop(self, xy_norm) -> PointChain:
        """The normalized screenshot point through every frame; raises if it would leave the monitor."""
        try:
            x, y = (float(v) for v in xy_norm)
        except (TypeError, ValueError):
            raise ActionError(f"a target must be two numbers, got {xy_norm!r}; refusing to act") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ActionError(f"the target ({x}, {y}) is not finite; refusing to act")
        sw, sh = self.screenshot_wh
        sx, sy = self.scale_xy
        m = self.monitor
        shot = (x * sw, y * sh)
        mon = (shot[0] / sx, shot[1] / sy)
        glob = (m.left + mon[0], m.top + mon[1])
        action = (math.floor(glob[0]), math.floor(glob[1]))
        if not m.contains(action):
            raise ActionError(f"the target ({glob[0]:.1f}, {glob[1]:.1f}) would fall outside {m.describe()}; refusing to act")
        return PointChain((x, y), shot, mon, glob, action)

    def to_norm(self, xy_global) -> tuple[float, float]:
        """A desktop point back to normalized screenshot coordinates (the inverse of :meth:`to_desktop`).

        Example:
            >>> ScreenFrame(Monitor(2, 1280, 0, 1280, 800), (2560, 1600)).to_norm((1920.5, 200.5))
            (0.500390625, 0.250625)
        """
        gx, gy = (float(v) for v in xy_global)
        m = self.monitor
        return ((gx - m.left) / m.width, (gy - m.top) / m.height)


__all__ = ["Monitor", "PointChain", "ScreenFrame"]
