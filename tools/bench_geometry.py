"""Benchmark of the geometry core: polygon IoU speed and exactness, and answer tokens vs mask fidelity.

Run from the repository root::

    python tools/bench_geometry.py            # full run (several minutes: 12 on a busy shared two-core machine)
    python tools/bench_geometry.py --quick    # smoke test: 60 pairs, 3 short rounds, fewer budgets

What is measured
----------------
1. **Polygon-pair IoU** at 640x480, the job of the reward function and of the evaluation loop.
   Two sets of pairs; the second polygon of a pair is the first scaled by U(0.95, 1.05) about its
   centre and shifted by N(0, 5 px), like a prediction against its ground truth:

   * *smooth*: object-like blobs of 200 vertices (radius = 1 + 5 Fourier harmonics with amplitudes
     U(0, 0.25)/k, base radius 40-160 px, random squash and rotation, placed inside the image);
   * *jagged*: 200 vertices with +-50 % radius noise, 30 % of them with shuffled vertex order, so
     they self-intersect; pycocotools fills those by the even-odd rule, and so must we;
   * *spiky*: simple polygons with 100 long thin spikes (radius alternating between full and
     10-30 %), the shapes where an edge crosses many pixel columns;
   * *self-intersecting*: every polygon crosses itself: the 200 vertices of a noisy circle visited
     with a step of 7 or 13 (a star polygon), filled by the even-odd rule.

   Every method gets the same pairs in the same run. Timing: each method is first called once (its
   result, and how many calls make one batch of at least ``--batch-seconds``); then ``--rounds``
   rounds time one batch of every method, in alternating order, so a drift of the machine hits all
   methods alike. A method's time is the median over rounds; a speedup is the median of the
   per-round ratios, with their min and max (the spread) beside it. Inputs are built outside the
   timing from the same numpy arrays (building ``Region`` objects from the polygon lists is inside it). Methods: pycocotools ``frPyObjects`` + ``merge`` + ``iou`` per
   pair (the reference decoder, the baseline); ``region_iou_batch`` on all pairs at once, one pair per
   call, and with ``backend="numpy"``; ``parts_iou_batch`` (the pixel-space entry, no ``Region``);
   shapely per pair and shapely 2 vectorized (continuous geometry, so its IoU differs from the raster
   IoU by design). Shapely is left out of the jagged set: it needs valid polygons, and ``make_valid`` of
   one shuffled 200-vertex polygon takes seconds (the run measures one and says how long).

   Columns: pairs/s (median); speedup over pycocotools (median, [min, max] over rounds); mean and max
   |IoU - IoU_pycocotools| over the pairs.
   The project's target is a batched path at least 10x faster than pycocotools with mean |dIoU| <= 1e-3
   on the smooth set; the PASS/FAIL line under the table checks it.

2. **Tokens vs fidelity** of ``mask_to_region`` on masks from scikit-image (the horse, thresholded
   coins) and synthetic 640x480 shapes (disk, ring, L, thin bar, star, text). Settings: the reference
   epsilon (0.001 x perimeter) with ``outline="reference"`` (the reference method's coordinates) and
   ``outline="edge"`` (ours, the default); token budgets (reference style); the compact style at the
   reference epsilon and at a budget of 128. Columns: parts and vertices of the region; exact Qwen2.5
   tokens of the coordinate text ``format_polygons(region.polygons, style=...)`` (no answer phrase);
   ``IoU poly``: the region rasterized against the mask; ``IoU text``: the answer text parsed back and
   rasterized (what a decoder sees, after rounding to 3 decimals or to the 0..999 grid).
   The ring keeps its hole out of every answer (the answer format has no holes), so its IoU tops out
   near 0.72 by design.

The last line of stdout is one JSON object with the headline figures (IoU figures there are ``IoU text``).
"""

from __future__ import annotations

import os

# An idle BLAS/OpenMP pool competes with the benchmark for the two cores; set before numpy loads.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.geometry import (
    HAVE_C_KERNEL,
    Region,
    mask_iou,
    mask_to_region,
    region_iou_batch,
    region_to_mask,
)
from simpleseg_agent.geometry.raster import iou_from_areas, parts_iou_batch
from simpleseg_agent.grammar import QwenTokenCounter, format_polygons, parse_answer

RESOLUTION_WH = (640, 480)
N_VERTICES = 200
ROUNDS = 7
BATCH_SECONDS = 0.25
TARGET_SPEEDUP = 10.0
TARGET_MEAN_DIFF = 1e-3


# ---------------------------------------------------------------------------------------------
# 1. polygon pairs
# ---------------------------------------------------------------------------------------------
def _place(xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move a shape centred on the origin to a random spot where its box fits the image (else the middle)."""
    w, h = RESOLUTION_WH
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    centre = np.empty(2)
    for d, size in enumerate((w, h)):
        a, b = -lo[d], size - hi[d]
        centre[d] = rng.uniform(a, b) if a < b else size / 2
    return xy + centre


def _outline(radius: np.ndarray, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A radial outline, squashed and rotated at random, placed in the image; ``(N, 2)`` ``xy_px``."""
    squash = rng.uniform(0.55, 1.0)
    xy = np.stack([radius * np.cos(theta), squash * radius * np.sin(theta)], axis=1)
    a = rng.uniform(0, 2 * np.pi)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return _place(xy @ rot.T, rng)


def smooth_blob(rng: np.random.Generator) -> np.ndarray:
    """An object-like outline: 1 + 5 Fourier harmonics of random amplitude and phase (star-shaped, simple)."""
    theta = np.linspace(0, 2 * np.pi, N_VERTICES, endpoint=False)
    r = np.ones(N_VERTICES)
    for k in range(1, 6):
        r += rng.uniform(0, 0.25) / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    return _outline(rng.uniform(40, 160) * r, theta, rng)


def jagged_blob(rng: np.random.Generator) -> np.ndarray:
    """Radius noise of +-50 % per vertex; 30 % of them with shuffled vertex order (self-intersecting)."""
    theta = np.linspace(0, 2 * np.pi, N_VERTICES, endpoint=False)
    xy = _outline(rng.uniform(40, 160) * rng.uniform(0.5, 1.5, N_VERTICES), theta, rng)
    return xy[rng.permutation(N_VERTICES)] if rng.random() < 0.3 else xy


def spiky_blob(rng: np.random.Generator) -> np.ndarray:
    """A simple polygon with N/2 long thin spikes: the radius alternates between full and 10-30 %."""
    theta = np.linspace(0, 2 * np.pi, N_VERTICES, endpoint=False)
    r = np.where(np.arange(N_VERTICES) % 2 == 0, 1.0, rng.uniform(0.1, 0.3, N_VERTICES))
    return _outline(rng.uniform(60, 170) * r, theta, rng)


def self_intersecting_blob(rng: np.random.Generator) -> np.ndarray:
    """A noisy circle whose vertices are visited with a step of 7 or 13: a star polygon, crossing itself."""
    theta = np.linspace(0, 2 * np.pi, N_VERTICES, endpoint=False)
    xy = _outline(rng.uniform(40, 160) * rng.uniform(0.9, 1.1, N_VERTICES), theta, rng)
    step = int(rng.choice([7, 13]))  # co-prime with 200: every vertex once
    return xy[(np.arange(N_VERTICES) * step) % N_VERTICES]


def perturb(xy_px: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 'prediction' of a ground-truth polygon: scaled by U(0.95, 1.05) about its centre, shifted by N(0, 5 px)."""
    c = xy_px.mean(axis=0)
    return c + rng.uniform(0.95, 1.05) * (xy_px - c) + rng.normal(0, 5, size=2)


@dataclass
class PairSet:
    """One set of polygon pairs, in normalized coordinates and in the pixels both decoders see."""

    name: str
    norm_a: list[np.ndarray]
    norm_b: list[np.ndarray]
    px_a: list[np.ndarray]
    px_b: list[np.ndarray]

    @classmethod
    def make(cls, name: str, make_blob: Callable[[np.random.Generator], np.ndarray], n: int, seed: int) -> PairSet:
        rng = np.random.default_rng(seed)
        scale = np.array(RESOLUTION_WH, dtype=np.float64)
        norm_a, norm_b = [], []
        for _ in range(n):
            a = make_blob(rng)
            norm_a.append(a / scale)
            norm_b.append(perturb(a, rng) / scale)
        # x_norm * W exactly as Region.to_px computes it, so every method rasterizes identical floats
        return cls(name, norm_a, norm_b, [p * scale for p in norm_a], [p * scale for p in norm_b])

    def __len__(self) -> int:
        return len(self.norm_a)


def iou_pycocotools(ps: PairSet) -> np.ndarray:
    from pycocotools import mask as mask_utils

    w, h = RESOLUTION_WH
    out = np.empty(len(ps))
    for i, (a, b) in enumerate(zip(ps.px_a, ps.px_b)):
        ra = mask_utils.merge(mask_utils.frPyObjects([a.ravel().tolist()], h, w))
        rb = mask_utils.merge(mask_utils.frPyObjects([b.ravel().tolist()], h, w))
        out[i] = mask_utils.iou([ra], [rb], [0])[0, 0]
    return out


def iou_shapely_loop(ps: PairSet) -> np.ndarray:
    from shapely.geometry import Polygon

    out = np.empty(len(ps))
    for i, (a, b) in enumerate(zip(ps.px_a, ps.px_b)):
        ga, gb = Polygon(a), Polygon(b)
        inter = ga.intersection(gb).area
        union = ga.area + gb.area - inter
        out[i] = inter / union if union > 0 else 1.0
    return out


def iou_shapely_vectorized(ps: PairSet) -> np.ndarray:
    import shapely

    ga, gb = shapely.polygons(np.stack(ps.px_a)), shapely.polygons(np.stack(ps.px_b))
    inter = shapely.area(shapely.intersection(ga, gb))
    return iou_from_areas(inter, shapely.area(ga), shapely.area(gb))


def shapely_repair_seconds(seed: int) -> tuple[float, int]:
    """Seconds ``make_valid`` takes on one shuffled jagged polygon, and the parts it returns.

    Shapely needs valid polygons for an intersection; a shuffled 200-vertex polygon crosses itself
    thousands of times, and repairing it (noding every crossing) takes seconds, not microseconds.
    """
    import shapely
    from shapely.geometry import Polygon

    rng = np.random.default_rng(seed)
    while True:
        poly = jagged_blob(rng)
        if not Polygon(poly).is_valid:
            break
    t0 = time.perf_counter()
    fixed = shapely.make_valid(Polygon(poly))
    return time.perf_counter() - t0, len(getattr(fixed, "geoms", [fixed]))


def iou_parts_batch(parts_a: list, parts_b: list) -> np.ndarray:
    return iou_from_areas(*parts_iou_batch(parts_a, parts_b, RESOLUTION_WH))


@dataclass
class MethodResult:
    method: str
    round_seconds: list[float]  # seconds per call, one figure per round
    iou: np.ndarray

    @property
    def seconds(self) -> float:
        return float(np.median(self.round_seconds))

    def pairs_per_s(self) -> float:
        return len(self.iou) / self.seconds

    def speedup_over(self, ref: MethodResult) -> tuple[float, float, float]:
        """Median, min and max over rounds of ``ref``'s time / this method's time."""
        ratios = np.array(ref.round_seconds) / np.array(self.round_seconds)
        return float(np.median(ratios)), float(ratios.min()), float(ratios.max())


def time_methods(methods: list[tuple[str, Callable[[], np.ndarray]]], rounds: int, batch_seconds: float) -> list[MethodResult]:
    """Time every method in rounds of batches (alternating order); see the module docstring."""
    results, calls = {}, {}
    for name, fn in methods:
        t0 = time.perf_counter()
        results[name] = fn()
        calls[name] = max(1, int(np.ceil(batch_seconds / max(time.perf_counter() - t0, 1e-9))))
    per_round: dict[str, list[float]] = {name: [] for name, _ in methods}
    for r in range(rounds):
        for name, fn in methods if r % 2 == 0 else methods[::-1]:
            t0 = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            per_round[name].append((time.perf_counter() - t0) / calls[name])
    return [MethodResult(name, per_round[name], results[name]) for name, _ in methods]


def bench_pairs(ps: PairSet, rounds: int, batch_seconds: float) -> list[MethodResult]:
    """Time every method on one pair set; the first result is the pycocotools baseline."""
    regions_a = [[p] for p in ps.norm_a]  # polygon lists: Region construction stays inside the timing
    regions_b = [[p] for p in ps.norm_b]
    parts_a = [[[p]] for p in ps.px_a]
    parts_b = [[[p]] for p in ps.px_b]
    methods: list[tuple[str, Callable[[], np.ndarray]]] = [
        ("pycocotools (per pair)", lambda: iou_pycocotools(ps)),
        ("ours batched", lambda: region_iou_batch(regions_a, regions_b, RESOLUTION_WH)),
        ("ours parts_iou_batch (px)", lambda: iou_parts_batch(parts_a, parts_b)),
        ("ours one pair per call", lambda: np.concatenate(
            [region_iou_batch([a], [b], RESOLUTION_WH) for a, b in zip(regions_a, regions_b)])),
        ("ours batched, numpy", lambda: region_iou_batch(regions_a, regions_b, RESOLUTION_WH, backend="numpy")),
    ]
    if ps.name in ("smooth", "spiky"):  # see shapely_repair_seconds: self-intersecting polygons need repairs
        methods += [("shapely per pair", lambda: iou_shapely_loop(ps)), ("shapely 2 vectorized", lambda: iou_shapely_vectorized(ps))]
    return time_methods(methods, rounds, batch_seconds)


def print_pair_table(ps: PairSet, results: list[MethodResult]) -> None:
    ref = results[0]
    print(f"\n{ps.name} set: {len(ps)} pairs of {N_VERTICES}-vertex polygons at {RESOLUTION_WH[0]}x{RESOLUTION_WH[1]}, "
          f"median of {len(ref.round_seconds)} rounds; mean IoU (pycocotools) {ref.iou.mean():.4f}")
    print(f"  {'method':<36} {'pairs/s':>10} {'speedup':>8} {'[min, max]':>14} {'mean|dIoU|':>11} {'max|dIoU|':>10}")
    for r in results:
        d = np.abs(r.iou - ref.iou)
        med, lo, hi = r.speedup_over(ref)
        print(f"  {r.method:<36} {r.pairs_per_s():>10,.0f} {med:>7.1f}x {f'[{lo:.1f}, {hi:.1f}]':>14} "
              f"{d.mean():>11.2e} {d.max():>10.2e}")


# ---------------------------------------------------------------------------------------------
# 2. tokens vs fidelity
# ---------------------------------------------------------------------------------------------
def synthetic_masks() -> dict[str, np.ndarray]:
    """Shapes that stress the answer format: curves, a hole, corners, a thin part, spikes, many parts."""
    w, h = RESOLUTION_WH

    def canvas() -> np.ndarray:
        return np.zeros((h, w), np.uint8)

    disk = canvas()
    cv2.circle(disk, (320, 240), 180, 1, -1)
    ring = canvas()
    cv2.circle(ring, (320, 240), 180, 1, -1)
    cv2.circle(ring, (320, 240), 95, 0, -1)
    ell = canvas()
    cv2.fillPoly(ell, [np.array([[120, 60], [260, 60], [260, 300], [520, 300], [520, 420], [120, 420]], np.int32)], 1)
    bar = canvas()
    cv2.line(bar, (60, 430), (590, 50), 1, thickness=6)
    star = canvas()
    k = np.arange(10)
    radius = np.where(k % 2 == 0, 210, 85)
    pts = np.stack([320 + radius * np.sin(k * np.pi / 5), 245 - radius * np.cos(k * np.pi / 5)], 1)
    cv2.fillPoly(star, [np.round(pts).astype(np.int32)], 1)
    text = canvas()
    cv2.putText(text, "Seg 42", (25, 310), cv2.FONT_HERSHEY_SIMPLEX, 4.6, 1, thickness=22)
    return {"disk": disk, "ring (hole)": ring, "L-shape": ell, "thin bar": bar, "star": star, "text 'Seg 42'": text}


def load_masks() -> dict[str, np.ndarray]:
    import skimage.data
    import skimage.filters

    masks: dict[str, np.ndarray] = {}
    horse = skimage.data.horse()  # True on the white background: the object is the dark pixels
    if horse[0, 0] and horse[-1, -1]:
        horse = ~horse
    masks["horse"] = horse.astype(bool)
    coins = skimage.data.coins()
    fg = (coins > skimage.filters.threshold_otsu(coins)).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= 200)
    masks["coins (Otsu)"] = np.isin(labels, keep[keep > 0])
    masks.update({name: m.astype(bool) for name, m in synthetic_masks().items()})
    return masks


@dataclass
class Setting:
    label: str
    style: str
    kwargs: dict


def settings(quick: bool) -> list[Setting]:
    budgets = (128,) if quick else (64, 128, 200, 400)
    out = [
        Setting("eps 0.001, outline=reference", "reference", {"outline": "reference"}),
        Setting("eps 0.001, outline=edge", "reference", {"outline": "edge"}),
    ]
    out += [Setting(f"budget {b}", "reference", {"token_budget": b}) for b in budgets]
    out += [
        Setting("compact, eps 0.001, edge", "compact", {"outline": "edge"}),
        Setting("compact, budget 128", "compact", {"token_budget": 128, "style": "compact"}),
    ]
    return out


@dataclass
class Row:
    label: str
    parts: int = 0
    vertices: int = 0
    tokens: int = 0
    iou_poly: float = float("nan")
    iou_text: float = float("nan")
    note: str = ""


def measure(mask: np.ndarray, setting: Setting, counter: QwenTokenCounter) -> Row:
    h, w = mask.shape
    try:
        region = mask_to_region(mask, token_counter=counter, **setting.kwargs)
    except GeometryError as exc:
        return Row(setting.label, note=f"failed: {exc}")
    text = format_polygons(region.polygons, style=setting.style)
    parsed = parse_answer(text, kind="polygons", space="norm" if setting.style == "reference" else "1000")
    decoded = Region.from_polygons(parsed.polygons_xy_norm)
    row = Row(
        setting.label,
        parts=len(region.parts),
        vertices=region.n_vertices,
        tokens=counter.count(text),
        iou_poly=mask_iou(region_to_mask(region, (w, h)), mask),
        iou_text=mask_iou(region_to_mask(decoded, (w, h)), mask),
    )
    budget = setting.kwargs.get("token_budget")
    if budget is not None and row.tokens > budget:
        row.note = f"OVER BUDGET by {row.tokens - budget}"
    return row


def print_mask_table(name: str, mask: np.ndarray, rows: list[Row], n_components: int) -> None:
    h, w = mask.shape
    print(f"\n{name}: {w}x{h}, {int(mask.sum())} px, {n_components} component(s)")
    print(f"  {'setting':<30} {'parts':>5} {'verts':>6} {'tokens':>7} {'IoU poly':>9} {'IoU text':>9}  note")
    for r in rows:
        if r.note.startswith("failed"):
            print(f"  {r.label:<30} {'-':>5} {'-':>6} {'-':>7} {'-':>9} {'-':>9}  {r.note}")
            continue
        print(f"  {r.label:<30} {r.parts:>5} {r.vertices:>6} {r.tokens:>7} {r.iou_poly:>9.4f} {r.iou_text:>9.4f}  {r.note}")


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=500, help="polygon pairs per set (default 500; 60 with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the polygon pairs")
    parser.add_argument("--rounds", type=int, default=None, help=f"timing rounds (default {ROUNDS}; 3 with --quick)")
    parser.add_argument("--batch-seconds", type=float, default=None,
                        help=f"least time of one timed batch of calls (default {BATCH_SECONDS}; 0.05 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 60 pairs, 3 short rounds and fewer token budgets")
    args = parser.parse_args(argv)
    n_pairs = 60 if args.quick and args.pairs == 500 else args.pairs
    rounds = args.rounds or (3 if args.quick else ROUNDS)
    batch_seconds = args.batch_seconds or (0.05 if args.quick else BATCH_SECONDS)
    if n_pairs < 1:
        parser.error(f"--pairs must be >= 1, got {n_pairs}")
    t_start = time.perf_counter()

    print(f"simpleseg_agent geometry benchmark (C kernel: {HAVE_C_KERNEL}, pairs: {n_pairs}, seed: {args.seed})")
    print("=" * 100)
    print("1. Polygon-pair IoU (baseline: pycocotools frPyObjects + merge + iou; dIoU vs pycocotools)")
    makers = {"smooth": smooth_blob, "jagged": jagged_blob, "spiky": spiky_blob, "self-intersecting": self_intersecting_blob}
    sets, res = {}, {}
    for k, (name, make) in enumerate(makers.items()):
        sets[name] = PairSet.make(name, make, n_pairs, args.seed + k)
        res[name] = bench_pairs(sets[name], rounds, batch_seconds)
        print_pair_table(sets[name], res[name])
    res_smooth, res_jagged, jagged = res["smooth"], res["jagged"], sets["jagged"]

    by_name = {r.method: r for r in res_smooth}
    ref, ours = res_smooth[0], by_name["ours batched"]
    speedup, speedup_lo, speedup_hi = ours.speedup_over(ref)
    diff = np.abs(ours.iou - ref.iou)
    ok = speedup >= TARGET_SPEEDUP and diff.mean() <= TARGET_MEAN_DIFF
    print(f"\ntarget (smooth set, batched): >= {TARGET_SPEEDUP:.0f}x pycocotools and mean |dIoU| <= {TARGET_MEAN_DIFF:g}: "
          f"{speedup:.1f}x (rounds {speedup_lo:.1f}-{speedup_hi:.1f}), {diff.mean():.2e} -> {'PASS' if ok else 'FAIL'}")
    per_set = {}
    for name, results in res.items():
        med, lo, hi = results[1].speedup_over(results[0])
        d = np.abs(results[1].iou - results[0].iou)
        per_set[name] = {"speedup_vs_pycocotools": round(med, 2), "speedup_spread": [round(lo, 2), round(hi, 2)],
                         "max_abs_diff_vs_pycocotools": float(f"{d.max():.3g}")}
        print(f"{name} set, batched: {med:.1f}x pycocotools (rounds {lo:.1f}-{hi:.1f}), max |dIoU| {d.max():.2e} "
              f"({int((d > 0).sum())} of {len(sets[name])} pairs differ from pycocotools)")
    jag_ref, jag_ours = res_jagged[0], res_jagged[1]
    jag_diff = np.abs(jag_ours.iou - jag_ref.iou)
    if args.quick:
        print("shapely skipped on the jagged set: its self-intersecting polygons need make_valid, seconds each")
    else:
        secs, n_geoms = shapely_repair_seconds(args.seed + 2)
        print(f"shapely skipped on the jagged set: make_valid of one shuffled {N_VERTICES}-vertex polygon took "
              f"{secs:.1f} s ({n_geoms} pieces), so two repairs per pair would take about {2 * secs * len(jagged) / 60:.0f} min")

    print("\n" + "=" * 100)
    print("2. Tokens vs fidelity (tokens: exact Qwen2.5 count of the coordinate text only)")
    counter = QwenTokenCounter()
    masks = load_masks()
    table: dict[str, dict[str, Row]] = {}
    for name, mask in masks.items():
        n_comp = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1
        rows = [measure(mask, s, counter) for s in settings(args.quick)]
        table[name] = {r.label: r for r in rows}
        print_mask_table(name, mask, rows, n_comp)

    ref_lbl, edge_lbl, cmp_lbl = "eps 0.001, outline=reference", "eps 0.001, outline=edge", "compact, eps 0.001, edge"
    saving = [100 * (1 - t[cmp_lbl].tokens / t[edge_lbl].tokens) for t in table.values()]
    cost = [t[edge_lbl].iou_text - t[cmp_lbl].iou_text for t in table.values()]
    gain_edge = [t[edge_lbl].iou_text - t[ref_lbl].iou_text for t in table.values()]
    pairs_128 = [(t["budget 128"], t["compact, budget 128"]) for t in table.values()
                 if not (t["budget 128"].note or t["compact, budget 128"].note)]
    gain_128 = [c.iou_text - r.iou_text for r, c in pairs_128]
    failures = [f"{name} / {r.label}" for name, t in table.items() for r in t.values() if r.note]
    print("\nsummary over the masks")
    print(f"  compact vs reference style at eps 0.001 (edge): {_mean(saving):.1f} % fewer tokens "
          f"(range {min(saving):.1f}-{max(saving):.1f} %), IoU text cost {_mean(cost):+.5f} (mean)")
    print(f"  compact vs reference style at a budget of 128: IoU text {_mean(gain_128):+.4f} (mean over {len(gain_128)} masks)")
    print(f"  outline=edge vs outline=reference at eps 0.001: IoU text {_mean(gain_edge):+.4f} (mean)")
    print(f"  settings that failed or went over budget: {', '.join(failures) if failures else 'none'}")
    print(f"\ntotal time {time.perf_counter() - t_start:.1f} s")

    by_jag = {r.method: r for r in res_jagged}
    horse = table["horse"]
    headline = {
        "pairs": n_pairs,
        "pairs_per_s": round(ours.pairs_per_s()),
        "speedup_vs_pycocotools": round(speedup, 1),
        "speedup_spread": [round(speedup_lo, 1), round(speedup_hi, 1)],
        "timing_rounds": rounds,
        "sets": per_set,
        "mean_abs_diff_vs_pycocotools": float(f"{diff.mean():.3g}"),
        "max_abs_diff_vs_pycocotools": float(f"{diff.max():.3g}"),
        "target_pass": bool(ok),
        "pairs_per_s_parts_px": round(by_name["ours parts_iou_batch (px)"].pairs_per_s()),
        "pairs_per_s_single": round(by_name["ours one pair per call"].pairs_per_s()),
        "pairs_per_s_numpy": round(by_name["ours batched, numpy"].pairs_per_s()),
        "pycocotools_pairs_per_s": round(ref.pairs_per_s()),
        "shapely_pairs_per_s": round(by_name["shapely per pair"].pairs_per_s()),
        "shapely_vectorized_pairs_per_s": round(by_name["shapely 2 vectorized"].pairs_per_s()),
        "jagged_speedup_vs_pycocotools": round(jag_ours.speedup_over(jag_ref)[0], 1),
        "jagged_max_abs_diff_vs_pycocotools": float(f"{jag_diff.max():.3g}"),
        "jagged_numpy_max_abs_diff_vs_pycocotools": float(
            f"{np.abs(by_jag['ours batched, numpy'].iou - jag_ref.iou).max():.3g}"),
        "c_kernel": bool(HAVE_C_KERNEL),
        "horse_tokens_ref_eps": horse[edge_lbl].tokens,
        "horse_tokens_ref_eps_reference": horse[ref_lbl].tokens,
        "horse_iou_ref_eps_edge": round(horse[edge_lbl].iou_text, 4),
        "horse_iou_ref_eps_reference": round(horse[ref_lbl].iou_text, 4),
        "compact_token_saving_pct": round(_mean(saving), 1),
        "compact_iou_cost": float(f"{_mean(cost):.3g}"),
        "compact_iou_gain_at_budget_128": round(_mean(gain_128), 4),
    }
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
