"""The coordinate chain: model space -> screenshot pixels -> monitor -> global desktop, bounds-checked."""

from __future__ import annotations

import math

import pytest

from simpleseg_agent.agent import Monitor, ScreenFrame
from simpleseg_agent.errors import ActionError

CASES = [
    # monitor, screenshot size, xy_norm, expected xy_screenshot_px, xy_monitor, xy_action
    (Monitor(1, 0, 0, 1280, 800), (1280, 800), (0.5, 0.5), (640, 400), (640, 400), (640, 400)),
    (Monitor(2, 1280, 0, 1280, 800), (1280, 800), (0.25, 0.5), (320, 400), (320, 400), (1600, 400)),
    (Monitor(2, 1280, 0, 1280, 800), (2560, 1600), (0.25, 0.5), (640, 800), (320, 400), (1600, 400)),  # HiDPI 2x
    (Monitor(1, 0, 0, 1440, 900), (2160, 1350), (0.1, 0.9), (216, 1215), (144, 810), (144, 810)),  # 1.5x
    (Monitor(3, -1920, 0, 1920, 1080), (1920, 1080), (0.5, 0.5), (960, 540), (960, 540), (-960, 540)),  # left of primary
    (Monitor(2, 0, -1080, 1920, 1080), (960, 540), (0.5, 0.5), (480, 270), (960, 540), (960, -540)),  # above, downsized
    (Monitor(1, 0, 0, 1280, 800), (1280, 800), (0.0, 0.0), (0, 0), (0, 0), (0, 0)),
    (Monitor(1, 0, 0, 1280, 800), (1280, 800), (0.9999, 0.9999), (1279.872, 799.92), (1279.872, 799.92), (1279, 799)),
]


@pytest.mark.parametrize("monitor,shot_wh,xy_norm,shot_px,mon_px,action", CASES)
def test_chain(monitor, shot_wh, xy_norm, shot_px, mon_px, action):
    frame = ScreenFrame(monitor, shot_wh)
    p = frame.to_desktop(xy_norm)
    assert p.xy_screenshot_px == pytest.approx(shot_px)
    assert p.xy_monitor == pytest.approx(mon_px)
    assert p.xy_global == pytest.approx((mon_px[0] + monitor.left, mon_px[1] + monitor.top))
    assert p.xy_action == action
    assert frame.to_norm(p.xy_global) == pytest.approx(xy_norm)


@pytest.mark.parametrize("xy", [(1.0, 0.5), (0.5, 1.0), (-0.0001, 0.5), (0.5, -1e-9), (math.nan, 0.5), (0.5, math.inf),
                                (1e300, 0.5), ("a", 0.5), (0.5,), None])
def test_points_off_the_monitor_are_refused(xy):
    frame = ScreenFrame(Monitor(2, 1280, 0, 1280, 800), (2560, 1600))
    with pytest.raises(ActionError, match="refusing to act"):
        frame.to_desktop(xy)


@pytest.mark.parametrize("kwargs", [dict(width=0), dict(height=-5), dict(left=1.5), dict(index=True)])
def test_bad_monitors_are_rejected(kwargs):
    base = dict(index=1, left=0, top=0, width=1280, height=800) | kwargs
    with pytest.raises(ActionError):
        Monitor(**base)


@pytest.mark.parametrize("wh", [(0, 800), (1280.0, 800), (-1, 1)])
def test_bad_screenshot_sizes_are_rejected(wh):
    with pytest.raises(ActionError):
        ScreenFrame(Monitor(1, 0, 0, 1280, 800), wh)
