"""Shapes and checks shared by the grasp tests (pixel coordinates, image 640 x 480 unless said otherwise)."""

from __future__ import annotations

import math

import cv2
import numpy as np
from shapely.geometry import LineString, Point, Polygon

from simpleseg_agent.geometry import Part, Region

WH = (640, 480)


def rect_px(cx: float, cy: float, length: float, width: float, deg: float) -> np.ndarray:
    """Corners of a length x width rectangle whose long side runs at ``deg`` (clockwise on screen, y down)."""
    a = math.radians(deg)
    u, v = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    c = np.array([cx, cy], float)
    return np.array([c + length / 2 * u + width / 2 * v, c - length / 2 * u + width / 2 * v,
                     c - length / 2 * u - width / 2 * v, c + length / 2 * u - width / 2 * v])


def circle_px(cx: float, cy: float, r: float, n: int = 128) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)])


def region_px(outer: np.ndarray, holes=(), wh=WH) -> Region:
    scale = np.array(wh, float)
    return Region([Part(np.asarray(outer) / scale, tuple(np.asarray(h) / scale for h in holes))])


def ring_region(cx=320.0, cy=240.0, r_out=60.0, r_in=45.0) -> Region:
    return region_px(circle_px(cx, cy, r_out, 96), [circle_px(cx, cy, r_in, 96)])


def u_polygon(x0=200.0, y0=150.0, w=200.0, h=200.0, t=40.0) -> np.ndarray:
    """A U open at the bottom (y down): a top bar and two arms of thickness ``t``."""
    return np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0 + w - t, y0 + h], [x0 + w - t, y0 + t],
                     [x0 + t, y0 + t], [x0 + t, y0 + h], [x0, y0 + h]], float)


def mask_of(polygons_px, holes_px=(), wh=WH) -> np.ndarray:
    m = np.zeros((wh[1], wh[0]), np.uint8)
    cv2.fillPoly(m, [np.round((np.asarray(p) - 0.5) * 16).astype(np.int32) for p in polygons_px], 1, cv2.LINE_8, 4)
    for h in holes_px:
        cv2.fillPoly(m, [np.round((np.asarray(h) - 0.5) * 16).astype(np.int32)], 0, cv2.LINE_8, 4)
    return m.astype(bool)


def material(region: Region, wh=WH):
    """The region's parts as one shapely geometry in pixels (holes cut out)."""
    from shapely.ops import unary_union

    return unary_union([Polygon(rings[0], rings[1:]) for rings in region.to_px(wh)])


def closing_segment_inside(grasp, geom, tol: float = 0.05) -> bool:
    return geom.buffer(tol).contains(LineString(grasp.contacts_px))


def center_on_material(grasp, geom, tol: float = 0.05) -> bool:
    return geom.buffer(tol).contains(Point(grasp.center_px))


def axis_angle_error_deg(angle_rad: float, expected_deg: float) -> float:
    """Angle between two undirected axes, in degrees (0..90)."""
    d = (math.degrees(angle_rad) - expected_deg) % 180.0
    return min(d, 180.0 - d)


def jaw_points(grasp, gripper, start: float = 0.5, side_tolerance: float = 0.0) -> np.ndarray:
    """Points covering both jaws' swept boxes, from ``start`` px outside each contact outwards
    (``side_tolerance`` px narrower on each side: a jaw may touch a neighbour's side face)."""
    c1, c2 = (np.asarray(c, float) for c in grasp.contacts_px)
    u = np.array([math.cos(grasp.angle_rad), math.sin(grasp.angle_rad)])
    v = np.array([-u[1], u[0]])
    along = np.linspace(start, gripper.clearance_px + gripper.finger_depth_px, 12)
    half = gripper.finger_width_px / 2 - side_tolerance
    across = np.linspace(-half, half, 12)
    pts = [c + o * a + v * b for c, o in ((c1, -u), (c2, u)) for a in along for b in across]
    return np.array(pts)
