"""Fewer vertices for the same fidelity: a global vertex-removal order and a vertex refinement.

Two steps make the most faithful outline that fits a token budget (see
:func:`simpleseg_agent.geometry.mask_to_region`'s ``token_budget``):

* :func:`removal_order` — Visvalingam-Whyatt over *all* rings at once: removing vertex ``p`` between
  ``a`` and ``b`` changes the polygon by exactly the triangle ``(a, p, b)``, so the vertex whose
  triangle is smallest costs the least area; when a part is down to a triangle, dropping the whole
  part costs its area. One order over every ring spends the vertices where the shape needs them (a
  per-ring tolerance gives a small part as many vertices as the body). Cutting the order at ``k``
  removals gives an outline with fewer vertices for every ``k``.
* :func:`refine_vertices` — vertices kept by any simplification lie on the traced border, so every
  edge is a chord: inside a convex arc, outside a concave one. Moving each vertex on the answer's
  own number grid (hill climbing on the IoU with the mask) lets an edge cross the arc instead; on
  the horse silhouette 47 refined vertices reach the IoU that 56 unrefined ones had.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from .raster import rings_toggles, parts_to_mask


def _parity_masks(rings_px: Sequence[np.ndarray], w: int, h: int) -> np.ndarray:
    """``(len(rings), h, w)`` even-odd masks of small rings, each on its own (the reference convention)."""
    n = len(rings_px)
    pos, ring = rings_toggles(list(rings_px), np.full(n, h, np.int64), np.full(n, w, np.int64))
    toggles = np.bincount(ring * (h * w + 1) + pos, minlength=n * (h * w + 1)).reshape(n, h * w + 1)[:, : h * w]
    return (np.cumsum(toggles, axis=1) % 2 == 1).reshape(n, w, h).transpose(0, 2, 1)


def _triangle_area(a: np.ndarray, p: np.ndarray, b: np.ndarray) -> float:
    return abs(float((p[0] - a[0]) * (b[1] - a[1]) - (b[0] - a[0]) * (p[1] - a[1]))) / 2


def removal_order(rings: Sequence[np.ndarray], part_of_ring: Sequence[int], part_area: Sequence[float],
                  *, keep_one_part: bool = True) -> list[tuple[int, int, float]]:
    """The order in which to remove vertices (and whole parts) at the least area change first.

    Args:
        rings: ``(N_i, 2)`` rings in pixels, outer rings and holes alike.
        part_of_ring: the part each ring belongs to (a part's first ring is its outer ring).
        part_area: each part's area in pixels: the cost of dropping the part.
        keep_one_part: never drop the last part.

    Returns:
        ``(ring, vertex, cost)`` events in order; ``vertex == -1`` drops the ring's whole part (an outer
        ring) or the hole (a hole ring); ``cost`` is the area the event changes (0: a vertex on a
        straight line). A ring keeps at least 3 vertices until it is dropped.

    Example:
        >>> import numpy as np
        >>> square = np.array([[0, 0], [2, 0], [4, 0.1], [4, 4], [0, 4]], float)
        >>> removal_order([square], [0], [16.0])[0]  # the nearly straight vertex (2, 0) goes first
        (0, 1, 0.1)
    """
    n_rings = len(rings)
    outer = [i == 0 or part_of_ring[i] != part_of_ring[i - 1] for i in range(n_rings)]
    prev = [np.roll(np.arange(len(r)), 1).tolist() for r in rings]
    nxt = [np.roll(np.arange(len(r)), -1).tolist() for r in rings]
    alive = [len(r) for r in rings]
    version = [[0] * len(r) for r in rings]
    ring_gone = [False] * n_rings
    parts_left = len(set(part_of_ring))
    pts = [np.asarray(r, np.float64) for r in rings]
    heap: list[tuple[float, int, int, int]] = []
    for r in range(n_rings):
        if alive[r] <= 3:
            heapq.heappush(heap, (_ring_cost(r, pts, outer, part_of_ring, part_area), r, -1, 0))
            continue
        for i in range(alive[r]):
            a, b = pts[r][prev[r][i]], pts[r][nxt[r][i]]
            heapq.heappush(heap, (_triangle_area(a, pts[r][i], b), r, i, 0))
    events: list[tuple[int, int, float]] = []
    while heap:
        cost, r, i, v = heapq.heappop(heap)
        if ring_gone[r]:
            continue
        if i == -1:
            if outer[r]:
                if keep_one_part and parts_left <= 1:
                    continue
                parts_left -= 1
                for s in range(n_rings):
                    if part_of_ring[s] == part_of_ring[r]:
                        ring_gone[s] = True
            else:
                ring_gone[r] = True
            events.append((r, -1, cost))
            continue
        if v != version[r][i] or alive[r] <= 3:
            continue
        events.append((r, i, cost))
        alive[r] -= 1
        p, q = prev[r][i], nxt[r][i]
        nxt[r][p], prev[r][q] = q, p
        version[r][i] = -1
        if alive[r] == 3:
            heapq.heappush(heap, (_ring_cost(r, pts, outer, part_of_ring, part_area), r, -1, 0))
            continue
        for j in (p, q):
            version[r][j] += 1
            cost = _triangle_area(pts[r][prev[r][j]], pts[r][j], pts[r][nxt[r][j]])
            heapq.heappush(heap, (cost, r, j, version[r][j]))
    return events


def _ring_cost(r: int, pts, outer, part_of_ring, part_area) -> float:
    if outer[r]:
        return float(part_area[part_of_ring[r]])
    x, y = pts[r][:, 0], pts[r][:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2


def apply_removals(rings: Sequence[np.ndarray], events: Sequence[tuple[int, int, float]], k: int) -> list[np.ndarray | None]:
    """The rings after the first ``k`` events of :func:`removal_order` (``None``: the ring was dropped).

    Example:
        >>> import numpy as np
        >>> square = np.array([[0, 0], [2, 0], [4, 0.1], [4, 4], [0, 4]], float)
        >>> apply_removals([square], removal_order([square], [0], [16.0]), 1)[0].tolist()
        [[0.0, 0.0], [4.0, 0.1], [4.0, 4.0], [0.0, 4.0]]
    """
    removed = [np.zeros(len(r), bool) for r in rings]
    dropped = [False] * len(rings)
    for r, i, _ in events[:k]:
        if i == -1:
            dropped[r] = True
        else:
            removed[r][i] = True
    return [None if dropped[r] else np.asarray(ring)[~removed[r]] for r, ring in enumerate(rings)]


def refine_vertices(parts_px: Sequence[Sequence[np.ndarray]], mask: np.ndarray, grid_px: tuple[float, float],
                    *, steps: Sequence[int] = (4, 2, 1), rounds: int = 3) -> list[list[np.ndarray]]:
    """Move vertices on a grid (hill climbing) to raise the IoU of the rasterized parts with ``mask``.

    Args:
        parts_px: parts, each a list of rings (outer first) in pixels; vertices should lie on the grid.
        mask: the ``(H, W)`` bool mask to match.
        grid_px: the answer's number grid in pixels, ``(W / 1000, H / 1000)`` for 3 decimals.
        steps: move sizes tried, in grid cells, coarse to fine.
        rounds: passes over all vertices per step size (stops early when nothing moved).

    A move of vertex ``p`` (neighbours ``a``, ``b``) to ``p'`` flips exactly the pixels of the
    quadrilateral ``a, p', b, p`` (even-odd), so each trial rasterizes only that small window.
    Parts are assumed not to overlap (traced components do not); the caller measures the final IoU.

    Example:
        >>> import numpy as np
        >>> m = np.zeros((20, 20), bool); m[5:15, 5:15] = True
        >>> off = [[np.array([[6, 6], [14, 6], [14, 14], [6, 14]], float)]]
        >>> refine_vertices(off, m, (1.0, 1.0))[0][0].tolist()
        [[5.0, 5.0], [15.0, 5.0], [15.0, 15.0], [5.0, 15.0]]
    """
    h, w = mask.shape
    rings = [np.array(r, np.float64) for part in parts_px for r in part]
    sizes = [len(part) for part in parts_px]
    cur = parts_to_mask([[r] for r in rings], (w, h)) if rings else np.zeros((h, w), bool)
    inter = int(np.count_nonzero(cur & mask))
    union = int(np.count_nonzero(cur | mask))
    gx, gy = grid_px
    top = np.array([w, h], np.float64)
    for step in steps:
        moves = np.array([(step * gx, 0.0), (-step * gx, 0.0), (0.0, step * gy), (0.0, -step * gy)])
        for _ in range(rounds):
            moved = False
            for ring in rings:
                n = len(ring)
                for i in range(n):
                    a, p, b = ring[i - 1], ring[i], ring[(i + 1) % n]
                    cand = np.clip(p + moves, 0, top)
                    cand = cand[np.any(cand != p, axis=1)]
                    if len(cand) == 0:
                        continue
                    pts = np.vstack([a, p, b, cand])
                    x0, y0 = np.maximum(np.floor(pts.min(axis=0)) - 1, 0).astype(int)
                    x1, y1 = np.minimum(np.ceil(pts.max(axis=0)) + 1, top).astype(int)
                    if x1 <= x0 or y1 <= y0:
                        continue
                    ww, hh = x1 - x0, y1 - y0
                    origin = np.array([x0, y0], np.float64)
                    quads = [np.stack([a, q, b, p]) - origin for q in cand]
                    flips = _parity_masks(quads, ww, hh)
                    c = cur[y0:y1, x0:x1]
                    mw = mask[y0:y1, x0:x1]
                    new = c[None] ^ flips
                    d_inter = np.count_nonzero(new & mw, axis=(1, 2)) - np.count_nonzero(c & mw)
                    d_union = np.count_nonzero(new | mw, axis=(1, 2)) - np.count_nonzero(c | mw)
                    gain = (inter + d_inter) * union - inter * (union + d_union)  # > 0: the IoU rises
                    best = int(np.argmax(gain / np.maximum(union + d_union, 1)))
                    if gain[best] > 0:
                        cur[y0:y1, x0:x1] = new[best]
                        inter, union = inter + int(d_inter[best]), union + int(d_union[best])
                        ring[i] = cand[best]
                        moved = True
            if not moved:
                break
    out, k = [], 0
    for s in sizes:
        out.append(rings[k:k + s])
        k += s
    return out
