"""Draw grasps on an image: the closing line, the contacts and the two jaws.

Example:
    >>> import numpy as np
    >>> from simpleseg_agent.grasp.results import Grasp
    >>> g = Grasp(center_px=(40.0, 30.0), center_xy_norm=(0.5, 0.5), angle_rad=0.0, width_px=20.0,
    ...           contacts_px=((30.0, 30.0), (50.0, 30.0)), score=0.9, method="antipodal")
    >>> out = draw_grasps(np.zeros((60, 80, 3), np.uint8), [g])
    >>> out.size, out.getpixel((40, 30)) != (0, 0, 0)
    ((80, 60), True)
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from ..images import ImageInput, to_rgb_array
from .planner import GripperConfig
from .results import Grasp

_SHIFT = 4
_ONE = 1 << _SHIFT


def _fixed(xy_px) -> np.ndarray:
    # toolkit pixels have edges at integers; OpenCV draws with centres at integers
    return np.round((np.asarray(xy_px, dtype=np.float64) - 0.5) * _ONE).astype(np.int32)


def jaw_corners(grasp: Grasp, gripper: GripperConfig) -> list[np.ndarray]:
    """The two fingers at their closed position, each a ``(4, 2)`` rectangle in pixels."""
    c1, c2 = (np.asarray(c, dtype=np.float64) for c in grasp.contacts_px)
    u = np.array([np.cos(grasp.angle_rad), np.sin(grasp.angle_rad)])
    v = np.array([-u[1], u[0]]) * gripper.finger_width_px / 2
    out = []
    for contact, o in ((c1, -u), (c2, u)):
        far = contact + o * gripper.finger_depth_px
        out.append(np.array([contact - v, contact + v, far + v, far - v]))
    return out


def draw_grasps(
    image: ImageInput,
    grasps: Sequence[Grasp],
    *,
    gripper: GripperConfig | None = None,
    color: tuple[int, int, int] = (0, 220, 0),
    others_color: tuple[int, int, int] = (255, 200, 0),
    thickness: int = 2,
) -> Image.Image:
    """A copy of ``image`` with ``grasps[0]`` drawn in ``color`` and the rest thinner in ``others_color``."""
    rgb = to_rgb_array(image)
    gripper = gripper or GripperConfig()
    for rank in range(len(grasps) - 1, -1, -1):  # the best last, on top
        g = grasps[rank]
        col = tuple(int(c) for c in (color if rank == 0 else others_color))
        th = thickness if rank == 0 else max(1, thickness // 2)
        c1, c2 = _fixed(g.contacts_px[0]), _fixed(g.contacts_px[1])
        cv2.line(rgb, tuple(int(v) for v in c1), tuple(int(v) for v in c2), col, th, cv2.LINE_AA, _SHIFT)
        if rank == 0:
            for jaw in jaw_corners(g, gripper):
                cv2.polylines(rgb, [_fixed(jaw)], True, col, th, cv2.LINE_AA, _SHIFT)
            for c in (c1, c2):
                cv2.circle(rgb, tuple(int(v) for v in c), 3 * _ONE, (255, 255, 255), -1, cv2.LINE_AA, _SHIFT)
                cv2.circle(rgb, tuple(int(v) for v in c), 2 * _ONE, (255, 0, 0), -1, cv2.LINE_AA, _SHIFT)
            cv2.drawMarker(rgb, tuple(int(round(v - 0.5)) for v in g.center_px), col, cv2.MARKER_CROSS, 10, th)
    return Image.fromarray(rgb)
