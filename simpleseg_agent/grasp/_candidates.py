"""Geometry behind the planner: a part's edges, contour samples and normals; vectorized ray casts,
point-in-material tests and border distances; and the three candidate generators.

Everything is in image pixels. Normals point out of the material (out of the outer ring, into
holes), whatever the vertex order of the rings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

import cv2
import numpy as np

#: Candidate generators, in the order their index is stored (and ties are broken).
METHODS = ("min_area_rect", "principal_axis", "antipodal")
_CHUNK = 250_000  # elements per (points x edges) block: bounds memory on huge contours


# geometry of one part ----------------------------------------------------------------------------
@dataclass
class _Part:
    index: int
    A: np.ndarray  # (E, 2) edge starts, pixels
    B: np.ndarray  # (E, 2) edge ends
    samples: np.ndarray  # (M, 2) contour samples
    normals: np.ndarray  # (M, 2) smoothed, material-outward unit normals
    first: np.ndarray  # (E,) index of each edge's first sample
    count: np.ndarray  # (E,) samples per edge
    outer: np.ndarray  # outer ring, pixels
    centroid: np.ndarray  # (2,) centre of mass
    radius: float  # max distance from the centroid to a vertex
    cov: np.ndarray  # (2, 2) central second moments of the area
    area: float


def _clean_ring(ring: np.ndarray) -> np.ndarray:
    keep = np.any(ring != np.roll(ring, 1, axis=0), axis=1)
    return ring[keep] if keep.any() else ring[:1]


def _area2(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _moments(rings: list[np.ndarray], material_sign: list[float]) -> tuple[float, np.ndarray, np.ndarray]:
    """Area, centroid and central second-moment matrix of outer-minus-holes (Green's theorem)."""
    a = sx = sy = sxx = syy = sxy = 0.0
    for ring, sign in zip(rings, material_sign):
        x, y = ring[:, 0], ring[:, 1]
        xn, yn = np.roll(x, -1), np.roll(y, -1)
        c = (x * yn - xn * y) * sign
        a += c.sum() / 2
        sx += ((x + xn) * c).sum() / 6
        sy += ((y + yn) * c).sum() / 6
        sxx += ((x * x + x * xn + xn * xn) * c).sum() / 12
        syy += ((y * y + y * yn + yn * yn) * c).sum() / 12
        sxy += ((x * yn + 2 * x * y + 2 * xn * yn + xn * y) * c).sum() / 24
    if a <= 0:
        return a, np.zeros(2), np.zeros((2, 2))
    cx, cy = sx / a, sy / a
    cov = np.array([[sxx / a - cx * cx, sxy / a - cx * cy], [sxy / a - cx * cy, syy / a - cy * cy]])
    return a, np.array([cx, cy]), cov


def _smooth(normals: np.ndarray, half: int) -> np.ndarray:
    """Circular moving average of a ring's sample normals over ``2 * half + 1`` samples."""
    n = len(normals)
    half = min(half, (n - 1) // 4)
    if half <= 0:
        return normals
    padded = np.concatenate([normals[-half:], normals, normals[:half]])
    csum = np.concatenate([np.zeros((1, 2)), np.cumsum(padded, axis=0)])
    out = csum[2 * half + 1 :] - csum[: -2 * half - 1]
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norm > 1e-9, out / np.maximum(norm, 1e-12), normals)


def build_part(index: int, rings_px: list[np.ndarray], sample_step_px: float, max_samples: int, smoothing_px: float) -> _Part | None:
    rings = [_clean_ring(np.asarray(r, dtype=np.float64)) for r in rings_px]
    if len(rings[0]) < 3:
        return None
    areas = [_area2(r) for r in rings]
    # outer rings add material, holes remove it, whatever their vertex order
    signs = [(1.0 if k == 0 else -1.0) * (1.0 if a2 > 0 else -1.0) for k, a2 in enumerate(areas)]
    area, centroid, cov = _moments(rings, signs)
    if not area > 1e-6:
        return None
    perimeter = sum(float(np.linalg.norm(np.roll(r, -1, axis=0) - r, axis=1).sum()) for r in rings)
    step = max(sample_step_px, perimeter / max_samples)
    A_all, B_all, S_all, N_all, first_all, count_all = [], [], [], [], [], []
    offset = 0
    for ring, sign in zip(rings, signs):
        if len(ring) < 2:
            continue
        A, B = ring, np.roll(ring, -1, axis=0)
        d = B - A
        length = np.linalg.norm(d, axis=1)
        ok = length > 1e-9
        A, B, d, length = A[ok], B[ok], d[ok], length[ok]
        if len(A) < 2:
            continue
        # (dy, -dx) points out of a ring that runs clockwise on screen (y down); the sign folds in
        # the ring's own orientation and whether it is a hole, so it always points out of the material
        edge_normals = sign * np.stack([d[:, 1], -d[:, 0]], axis=1) / length[:, None]
        count = np.maximum(1, np.ceil(length / step).astype(np.int64))
        first = np.cumsum(count) - count
        edge = np.repeat(np.arange(len(A)), count)
        frac = (np.arange(int(count.sum())) - first[edge] + 0.5) / count[edge]
        samples = A[edge] + frac[:, None] * d[edge]
        ring_step = float(length.sum()) / len(samples)
        smoothed = _smooth(edge_normals[edge], int(round(smoothing_px / ring_step)))
        A_all.append(A)
        B_all.append(B)
        S_all.append(samples)
        N_all.append(smoothed)
        first_all.append(first + offset)
        count_all.append(count)
        offset += len(samples)
    if not A_all:
        return None
    outer = rings[0]
    radius = float(np.linalg.norm(outer - centroid, axis=1).max())
    return _Part(
        index, np.concatenate(A_all), np.concatenate(B_all), np.concatenate(S_all), np.concatenate(N_all),
        np.concatenate(first_all), np.concatenate(count_all), outer, centroid, max(radius, 1e-9), cov, float(area),
    )


# vectorized queries against a part's edges ---------------------------------------------------------
def _chunks(n_points: int, n_edges: int) -> Iterable[slice]:
    size = max(1, _CHUNK // max(n_edges, 1))
    for s in range(0, n_points, size):
        yield slice(s, min(s + size, n_points))


def _first_hit(P: np.ndarray, D: np.ndarray, part: _Part) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rays ``P + t D`` (D unit): the first boundary crossing ``t > 0``, its edge and edge parameter."""
    A, E = part.A, part.B - part.A
    t_out = np.full(len(P), np.inf)
    j_out = np.zeros(len(P), np.int64)
    u_out = np.zeros(len(P))
    for sl in _chunks(len(P), len(A)):
        p, dd = P[sl, None, :], D[sl, None, :]
        ap = A[None] - p
        denom = dd[..., 0] * E[None, :, 1] - dd[..., 1] * E[None, :, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (ap[..., 0] * E[None, :, 1] - ap[..., 1] * E[None, :, 0]) / denom
            u = (ap[..., 0] * dd[..., 1] - ap[..., 1] * dd[..., 0]) / denom
        ok = (np.abs(denom) > 1e-12) & (t > 1e-3) & (u >= 0) & (u < 1)
        t = np.where(ok, t, np.inf)
        j = np.argmin(t, axis=1)
        rows = np.arange(len(j))
        t_out[sl], j_out[sl], u_out[sl] = t[rows, j], j, u[rows, j]
    return t_out, j_out, u_out


def _inside(points: np.ndarray, part: _Part) -> np.ndarray:
    """Even-odd point-in-material test (holes excluded), exact on the polygon."""
    A, B = part.A, part.B
    out = np.zeros(len(points), bool)
    for sl in _chunks(len(points), len(A)):
        px, py = points[sl, 0:1], points[sl, 1:2]
        straddle = (A[None, :, 1] > py) != (B[None, :, 1] > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = A[None, :, 0] + (py - A[None, :, 1]) * (B[None, :, 0] - A[None, :, 0]) / (B[None, :, 1] - A[None, :, 1])
        out[sl] = (np.count_nonzero(straddle & (px < x_cross), axis=1) % 2) == 1
    return out


def border_distance(points: np.ndarray, part: _Part) -> np.ndarray:
    A, E = part.A, part.B - part.A
    ee = np.maximum((E * E).sum(axis=1), 1e-18)
    out = np.empty(len(points))
    for sl in _chunks(len(points), len(A)):
        ap = points[sl, None, :] - A[None]
        t = np.clip((ap * E[None]).sum(axis=2) / ee[None], 0, 1)
        diff = ap - t[..., None] * E[None]
        out[sl] = np.sqrt((diff * diff).sum(axis=2)).min(axis=1)
    return out


def _normal_at(part: _Part, edge: np.ndarray, u: np.ndarray) -> np.ndarray:
    k = np.clip(np.floor(u * part.count[edge]).astype(np.int64), 0, part.count[edge] - 1)
    return part.normals[part.first[edge] + k]


# candidates -----------------------------------------------------------------------------------------
@dataclass
class Candidates:
    p1: np.ndarray  # (K, 2)
    p2: np.ndarray
    cos1: np.ndarray  # cosine between each jaw's push and the inward normal at its contact
    cos2: np.ndarray
    method: np.ndarray  # (K,) index into METHODS
    part: np.ndarray  # (K,) part index (into the list of parts)

    @staticmethod
    def concat(items: list[Candidates]) -> Candidates:
        if not items:
            z = np.zeros((0, 2))
            return Candidates(z, z, np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))
        return Candidates(*(np.concatenate([getattr(c, f.name) for c in items]) for f in fields(Candidates)))

    def take(self, keep: np.ndarray) -> Candidates:
        return Candidates(*(getattr(self, f.name)[keep] for f in fields(Candidates)))


def _axis_candidates(part: _Part, k: int, centers: np.ndarray, axes: np.ndarray, methods: list[int]) -> tuple[Candidates, int]:
    """Grasps closing along ``axes`` through ``centers``; those centred on empty space are dropped."""
    inside = _inside(centers, part)
    n_outside = int((~inside).sum())
    centers, axes = centers[inside], axes[inside]
    methods = np.asarray(methods, np.int64)[inside]
    t_plus, j_plus, u_plus = _first_hit(centers, axes, part)
    t_minus, j_minus, u_minus = _first_hit(centers, -axes, part)
    ok = np.isfinite(t_plus) & np.isfinite(t_minus)
    p1 = centers - t_minus[:, None] * axes
    p2 = centers + t_plus[:, None] * axes
    n1, n2 = _normal_at(part, j_minus, u_minus), _normal_at(part, j_plus, u_plus)
    cos1 = -(axes * n1).sum(axis=1)  # the jaw at p1 pushes along +axis, into the material: against n1
    cos2 = (axes * n2).sum(axis=1)
    cands = Candidates(p1, p2, cos1, cos2, methods, np.full(len(p1), k, np.int64)).take(ok)
    return cands, n_outside


def part_candidates(part: _Part, k: int) -> tuple[Candidates, int]:
    centers, axes, methods = [], [], []
    rect = cv2.minAreaRect(part.outer.astype(np.float32))
    corners = cv2.boxPoints(rect).astype(np.float64)
    e1, e2 = corners[1] - corners[0], corners[2] - corners[1]
    short = e1 if np.linalg.norm(e1) <= np.linalg.norm(e2) else e2
    if np.linalg.norm(short) > 1e-9:  # jaws close across the shorter side, through the centre
        centers.append(corners.mean(axis=0))
        axes.append(short / np.linalg.norm(short))
        methods.append(0)
    evals, evecs = np.linalg.eigh(part.cov)
    minor = evecs[:, 0]  # eigh sorts ascending: the first vector is across the major axis
    centers.append(part.centroid)
    axes.append(minor / np.linalg.norm(minor))
    methods.append(1)
    axis_cands, n_outside = _axis_candidates(part, k, np.asarray(centers, float), np.asarray(axes, float), methods)

    # antipodal: cast inward along each sample's smoothed normal
    P, D = part.samples, -part.normals
    t, j, u = _first_hit(P, D, part)
    hit = np.isfinite(t)
    P, D, t, j, u = P[hit], D[hit], t[hit], j[hit], u[hit]
    Q = P + t[:, None] * D
    inside = _inside((P + Q) / 2, part)  # the ray went into the material, not out of it (concave corners)
    n_outside += int((~inside).sum())
    P, D, Q, j, u = P[inside], D[inside], Q[inside], j[inside], u[inside]
    nq = _normal_at(part, j, u)
    ap = Candidates(P, Q, np.ones(len(P)), (D * nq).sum(axis=1), np.full(len(P), 2, np.int64), np.full(len(P), k, np.int64))
    return Candidates.concat([axis_cands, ap]), n_outside
