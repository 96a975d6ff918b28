"""Depth -> 3-D: pinhole intrinsics, a robust object depth, and metric grasps with a 6-DoF pose.

Camera frame: OpenCV's (x right, y down, z forward along the optical axis), metres.

Pixel convention: the toolkit's pixel coordinates put the *edges* of pixels at integers (pixel
``(col, row)`` covers ``[col, col+1) x [row, row+1)``, as the polygon decoder does), while ``cx, cy``
of :class:`Intrinsics` follow OpenCV/ROS calibration, where integers are pixel *centres*. The
conversion ``u = x_px - 0.5`` is done here, once, so a calibration's ``K`` can be used as is.

Metric width: the two contacts are back-projected at the object's depth ``z``, so

    width_m = width_px * z * sqrt((cos a / fx)^2 + (sin a / fy)^2) = width_px * z / f_a

with ``a`` the grasp angle and ``f_a = ((cos a / fx)^2 + (sin a / fy)^2) ** -0.5`` the focal length
along the jaw axis (``fx`` for a left-right grasp, ``fy`` for an up-down one).

Pose axes: x = closing axis (the contacts' direction, made orthogonal to z), z = approach (the
camera ray through the grasp centre, pointing away from the camera, or ``-table_normal`` when
the table's upward normal is given), y = z × x; the translation is the 3-D grasp centre.

Example:
    >>> import numpy as np
    >>> K = Intrinsics(fx=600, fy=600, cx=319.5, cy=239.5)
    >>> K.backproject((320.0, 240.0), 0.8).tolist()      # the image centre, 0.8 m away
    [0.0, 0.0, 0.8]
    >>> K.project([0.06, 0.0, 0.8]).tolist()             # 6 cm to the right -> 45 px to the right
    [365.0, 240.0]
    >>> depth = np.full((480, 640), 0.8); depth[0:5] = 0; depth[5:10] = np.nan
    >>> mask = np.zeros((480, 640), bool); mask[0:40, 0:40] = True
    >>> robust_depth(depth, mask).z_m
    0.8
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .results import DepthInfo, Grasp, GraspError


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels, OpenCV/ROS convention (integer ``cx, cy`` = a pixel centre)."""

    fx: float
    fy: float
    cx: float
    cy: float

    def __post_init__(self) -> None:
        for name in ("fx", "fy", "cx", "cy"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
                raise GraspError(f"Intrinsics.{name} must be a finite number, got {value!r}")
        if self.fx <= 0 or self.fy <= 0:
            raise GraspError(f"focal lengths must be positive pixels, got fx={self.fx}, fy={self.fy}")

    @classmethod
    def from_matrix(cls, K) -> Intrinsics:
        """From a ``(3, 3)`` camera matrix ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` (or ROS's flat 9 values).

        Example:
            >>> Intrinsics.from_matrix([[600, 0, 320], [0, 610, 240], [0, 0, 1]])
            Intrinsics(fx=600.0, fy=610.0, cx=320.0, cy=240.0)
        """
        arr = np.asarray(K, dtype=np.float64)
        if arr.shape == (9,):
            arr = arr.reshape(3, 3)
        if arr.shape != (3, 3):
            raise GraspError(f"a camera matrix must be 3x3 (or 9 values), got shape {arr.shape}")
        return cls(float(arr[0, 0]), float(arr[1, 1]), float(arr[0, 2]), float(arr[1, 2]))

    @property
    def K(self) -> np.ndarray:
        """The ``(3, 3)`` camera matrix."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)

    def backproject(self, xy_px, z_m) -> np.ndarray:
        """Points ``(..., 2)`` in toolkit pixels at depth ``z_m`` -> ``(..., 3)`` camera-frame metres."""
        xy = np.asarray(xy_px, dtype=np.float64)
        z = np.asarray(z_m, dtype=np.float64)
        x = (xy[..., 0] - 0.5 - self.cx) / self.fx * z
        y = (xy[..., 1] - 0.5 - self.cy) / self.fy * z
        return np.stack(np.broadcast_arrays(x, y, z * np.ones_like(x)), axis=-1)

    def project(self, xyz_m) -> np.ndarray:
        """Camera-frame points ``(..., 3)`` (z > 0) -> ``(..., 2)`` toolkit pixels."""
        p = np.asarray(xyz_m, dtype=np.float64)
        if np.any(p[..., 2] <= 0):
            raise GraspError("cannot project points at or behind the camera (z <= 0)")
        return np.stack([self.fx * p[..., 0] / p[..., 2] + self.cx + 0.5, self.fy * p[..., 1] / p[..., 2] + self.cy + 0.5], axis=-1)

    def focal_along(self, angle_rad: float) -> float:
        """Focal length in pixels along image direction ``angle_rad`` (see the module docstring)."""
        c, s = math.cos(angle_rad), math.sin(angle_rad)
        return 1.0 / math.hypot(c / self.fx, s / self.fy)


def as_depth(depth, resolution_wh: tuple[int, int] | None = None, *, depth_scale: float | None = None) -> np.ndarray:
    """Validate a depth image and return it as float64 metres, shape ``(H, W)``.

    Float arrays are taken as metres (times ``depth_scale`` if given); integer arrays (a RealSense's
    uint16 millimetres) need an explicit ``depth_scale`` such as ``0.001``. Invalid values (0, NaN,
    inf, negative) are kept: :func:`robust_depth` ignores them.

    Example:
        >>> as_depth(np.array([[800, 0]], np.uint16), depth_scale=0.001).tolist()
        [[0.8, 0.0]]
    """
    arr = np.asarray(depth)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2 or arr.size == 0:
        raise GraspError(f"depth must be a non-empty (H, W) array, got shape {arr.shape}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise GraspError(f"depth must be numeric (metres, or integers with depth_scale), got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer) and depth_scale is None:
        raise GraspError(
            f"integer depth ({arr.dtype}) needs its unit: pass depth_scale (metres per unit), e.g. 0.001 for millimetres"
        )
    if depth_scale is not None and not (math.isfinite(depth_scale) and depth_scale > 0):
        raise GraspError(f"depth_scale must be a positive number of metres per unit, got {depth_scale!r}")
    if resolution_wh is not None:
        w, h = (int(v) for v in resolution_wh)
        if arr.shape != (h, w):
            raise GraspError(
                f"depth is {arr.shape[1]}x{arr.shape[0]} but the image is {w}x{h}: register depth to the colour image first"
            )
    out = arr.astype(np.float64)
    return out * depth_scale if depth_scale is not None else out


def robust_depth(depth: np.ndarray, mask: np.ndarray, *, erode_px: int = 3) -> DepthInfo:
    """Median of the valid depth inside ``mask`` eroded by ``erode_px`` (borders mix object and background).

    Invalid values (0, NaN, inf, negative) are ignored. When erosion leaves no valid pixel (a thin
    object), the whole mask is used. Raises :class:`GraspError` when nothing valid remains.
    """
    m = np.asarray(mask, dtype=bool)
    if m.shape != depth.shape:
        raise GraspError(f"mask {m.shape} and depth {depth.shape} differ in shape")
    n_pixels = int(m.sum())
    if n_pixels == 0:
        raise GraspError("the object's mask is empty: no depth to measure")
    rows, cols = np.nonzero(m)
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    m_crop, d_crop = m[r0:r1, c0:c1], depth[r0:r1, c0:c1]
    valid = np.isfinite(d_crop) & (d_crop > 0)
    eroded = m_crop
    if erode_px > 0:
        k = 2 * int(erode_px) + 1
        eroded = cv2.erode(m_crop.astype(np.uint8), np.ones((k, k), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    use = eroded & valid
    was_eroded = erode_px > 0
    if not use.any():
        use, was_eroded = m_crop & valid, False
    if not use.any():
        raise GraspError(
            f"no valid depth inside the object's mask ({n_pixels} pixels, all zero, NaN, infinite or negative): "
            "check that the depth image is registered to the colour image and the object is in range"
        )
    values = d_crop[use]
    return DepthInfo(z_m=float(np.median(values)), n_valid=int(values.size), n_pixels=n_pixels, eroded=was_eroded)


def as_transform(T, name: str = "T_base_camera") -> np.ndarray:
    """Validate a ``(4, 4)`` rigid transform (orthonormal rotation, last row ``0 0 0 1``)."""
    arr = np.asarray(T, dtype=np.float64)
    if arr.shape != (4, 4) or not np.isfinite(arr).all():
        raise GraspError(f"{name} must be a finite 4x4 matrix, got shape {arr.shape}")
    R = arr[:3, :3]
    if not np.allclose(arr[3], [0, 0, 0, 1], atol=1e-9) or not np.allclose(R @ R.T, np.eye(3), atol=1e-4) or np.linalg.det(R) < 0:
        raise GraspError(f"{name} must be rigid: a rotation (orthonormal, det +1), a translation, last row 0 0 0 1")
    return arr


def _unit(v: np.ndarray, what: str) -> np.ndarray:
    n = float(np.linalg.norm(v))
    if not math.isfinite(n) or n < 1e-12:
        raise GraspError(f"{what} is degenerate (zero length)")
    return v / n


def grasp_frame(center_xyz, closing_xyz, approach_xyz) -> np.ndarray:
    """The ``(4, 4)`` pose: x = closing axis made orthogonal to z, z = approach, y = z × x.

    Example:
        >>> grasp_frame([0, 0, 1], [1, 0, 0.1], [0, 0, 1])[:3].round(3).tolist()
        [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
    """
    z = _unit(np.asarray(approach_xyz, dtype=np.float64), "the approach axis")
    d = np.asarray(closing_xyz, dtype=np.float64)
    x = _unit(d - np.dot(d, z) * z, "the closing axis (parallel to the approach)")
    y = np.cross(z, x)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = x, y, z, np.asarray(center_xyz, dtype=np.float64)
    return T


def _matrix(T: np.ndarray) -> tuple:
    return tuple(tuple(float(v) for v in row) for row in T)


def lift_grasp(
    grasp: Grasp,
    z_m: float,
    intrinsics: Intrinsics,
    *,
    T_base_camera=None,
    table_normal: Sequence[float] | None = None,
) -> Grasp:
    """A copy of ``grasp`` with its 3-D fields filled, all at the object's depth ``z_m``.

    ``table_normal``: the table's upward normal in the camera frame (pointing towards the camera);
    the approach is then straight down onto the table instead of along the camera ray.

    Example:
        >>> from simpleseg_agent.grasp.results import Grasp
        >>> g = Grasp(center_px=(320.0, 240.0), center_xy_norm=(0.5, 0.5), angle_rad=0.0, width_px=60.0,
        ...           contacts_px=((290.0, 240.0), (350.0, 240.0)), score=1.0, method="antipodal")
        >>> lifted = lift_grasp(g, 0.8, Intrinsics(600, 600, 319.5, 239.5))
        >>> lifted.center_xyz_m, round(lifted.width_m, 4), lifted.approach_xyz
        ((0.0, 0.0, 0.8), 0.08, (0.0, 0.0, 1.0))
    """
    if not (math.isfinite(z_m) and z_m > 0):
        raise GraspError(f"the object's depth must be a positive number of metres, got {z_m!r}")
    center = intrinsics.backproject(grasp.center_px, z_m)
    contacts = intrinsics.backproject(np.asarray(grasp.contacts_px, dtype=np.float64), z_m)
    if table_normal is not None:
        n = np.asarray(table_normal, dtype=np.float64)
        if n.shape != (3,) or not np.isfinite(n).all():
            raise GraspError(f"table_normal must be 3 finite numbers (camera frame), got {table_normal!r}")
        approach = -_unit(n, "table_normal")
    else:
        approach = _unit(center, "the camera ray through the grasp centre")
    pose = grasp_frame(center, contacts[1] - contacts[0], approach)
    pose_base = None
    if T_base_camera is not None:
        pose_base = _matrix(as_transform(T_base_camera) @ pose)
    return grasp.model_copy(
        update=dict(
            depth_m=float(z_m),
            center_xyz_m=tuple(float(v) for v in center),
            width_m=float(np.linalg.norm(contacts[1] - contacts[0])),
            contacts_xyz_m=tuple(tuple(float(v) for v in c) for c in contacts),
            approach_xyz=tuple(float(v) for v in pose[:3, 2]),
            closing_xyz=tuple(float(v) for v in pose[:3, 0]),
            pose_camera=_matrix(pose),
            pose_base=pose_base,
        )
    )


def carve_depth_holes(depth: np.ndarray, mask: np.ndarray, holes_m: float, *, erode_px: int = 3) -> np.ndarray:
    """The mask without the pixels much deeper than the object's top (the inside of a mug or bowl).

    A polygon answer has no holes, so a mug seen from above comes back as a filled disk. Pixels
    deeper than the top surface (the 5th percentile of the valid depth, taken over the eroded
    mask) by more than ``holes_m`` are removed; invalid depth is left as it is.

    Example:
        >>> d = np.full((50, 50), 0.7); d[20:30, 20:30] = 0.79     # a cup's rim at 0.7 m, its inside deeper
        >>> m = np.zeros((50, 50), bool); m[10:40, 10:40] = True
        >>> int(carve_depth_holes(d, m, 0.03).sum()), int(m.sum())
        (800, 900)
    """
    full = np.asarray(mask, dtype=bool)
    if full.shape != depth.shape:
        raise GraspError(f"mask {full.shape} and depth {depth.shape} differ in shape")
    if not full.any():
        return full
    rows, cols = np.nonzero(full.any(axis=1))[0], np.nonzero(full.any(axis=0))[0]
    box = (slice(max(rows[0] - 1, 0), rows[-1] + 2), slice(max(cols[0] - 1, 0), cols[-1] + 2))
    m, depth = full[box], depth[box]
    valid = np.isfinite(depth) & (depth > 0)
    core = m
    if erode_px > 0:
        k = 2 * int(erode_px) + 1
        core = cv2.erode(m.astype(np.uint8), np.ones((k, k), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    if not (core & valid).any():
        core = m
    if not (core & valid).any():
        return full
    top = float(np.percentile(depth[core & valid], 5))
    with np.errstate(invalid="ignore"):
        deep = valid & (depth > top + holes_m)
    # invalid pixels (dropouts) amid the deep ones are deep too, not specks of material
    deep = cv2.morphologyEx(deep.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool) & (deep | ~valid)
    out = full.copy()
    out[box] = m & ~deep
    return out
