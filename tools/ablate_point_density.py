"""Point density (the Douglas-Peucker epsilon) against answer tokens and mask fidelity.

    python tools/ablate_point_density.py --gui runs/default/data/heldout/records.jsonl \
        --anime runs/default/data/anime/records.jsonl --out docs/default-model

For every epsilon of the ladder, each ground-truth mask is traced again at that tolerance (our
pixel-edge outline, as the training data is made) and scored: answer tokens (the default model's own
tokenizer, compact style, and exact Qwen2.5 counts in the reference style) and IoU of the traced
polygon against the mask. This is the ceiling a model trained at that density can reach and the
price it pays per answer; the training-side half of the ablation (a model fine-tuned at a coarse
epsilon) is in ``docs/default-model.md``. Prints a Markdown table; writes ``point_density.json`` and
``point_density.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from simpleseg_agent.geometry import mask_to_region, region_to_mask
from simpleseg_agent.geometry.metrics import mask_iou
from simpleseg_agent.grammar import format_polygons
from simpleseg_agent.grammar.tokens import default_token_counter
from simpleseg_agent.training.charts import line_chart
from simpleseg_agent.training.records import read_records

EPSILONS = (0.0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05)


def _tokenizer(model_dir: Path | None):
    if model_dir is None or not (model_dir / "tokenizer.json").is_file():
        return None
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(model_dir / "tokenizer.json"))


def sweep(records_file: Path, limit: int, own_tok) -> list[dict]:
    qwen = default_token_counter()
    recs = list(read_records(records_file))[:limit]
    masks = [(region_to_mask(r.region, tuple(r.image_wh)), tuple(r.image_wh)) for r in recs]
    rows = []
    for eps in EPSILONS:
        ious, ref_tokens, own_tokens, verts = [], [], [], []
        for mask, wh in masks:
            if not mask.any():
                continue
            region = mask_to_region(mask, epsilon_frac=eps) if eps > 0 else mask_to_region(mask, epsilon_px=0.0)
            polys = region.polygons
            if not polys:
                ious.append(0.0)
                continue
            ious.append(mask_iou(region_to_mask(region, wh), mask))
            ref_tokens.append(qwen.count(format_polygons(polys)))
            if own_tok is not None:
                own_tokens.append(len(own_tok.encode(format_polygons(polys, style="compact")).ids))
            verts.append(sum(len(p) for p in polys))
        rows.append({
            "epsilon_frac": eps, "n": len(ious), "mean_iou": float(np.mean(ious)), "min_iou": float(np.min(ious)),
            "mean_vertices": float(np.mean(verts)), "mean_tokens_reference_qwen": float(np.mean(ref_tokens)),
            "mean_tokens_compact_own": float(np.mean(own_tokens)) if own_tokens else None,
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gui", type=Path, required=True, help="records.jsonl of GUI screens")
    parser.add_argument("--anime", type=Path, default=None, help="records.jsonl of anime scenes (optional)")
    parser.add_argument("--limit", type=int, default=300, help="records per set")
    parser.add_argument("--model-dir", type=Path, default=None, help="count compact tokens with this model's tokenizer")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    own = _tokenizer(args.model_dir)
    result = {"epsilons": list(EPSILONS), "gui": sweep(args.gui, args.limit, own)}
    if args.anime:
        result["anime"] = sweep(args.anime, args.limit, own)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "point_density.json").write_text(json.dumps(result, indent=2) + "\n")
    series = {}
    for name in ("gui", "anime"):
        if name in result:
            series[f"{name}: IoU vs Qwen tokens"] = ([r["mean_tokens_reference_qwen"] for r in result[name]],
                                                     [r["mean_iou"] for r in result[name]])
    line_chart(series, args.out / "point_density.png", title="Point density: answer tokens vs mask IoU (ceiling)",
               x_label="mean answer tokens (reference style, Qwen2.5 tokenizer)", y_range=(0, 1))
    for name in ("gui", "anime"):
        if name not in result:
            continue
        print(f"\n{name} ({result[name][0]['n']} masks)\n")
        print("| epsilon (of perimeter) | vertices | tokens, reference style (Qwen2.5) | tokens, compact (own) | mean IoU | min IoU |")
        print("|---|---|---|---|---|---|")
        for r in result[name]:
            own_t = f"{r['mean_tokens_compact_own']:.1f}" if r["mean_tokens_compact_own"] is not None else "-"
            print(f"| {r['epsilon_frac']:g} | {r['mean_vertices']:.1f} | {r['mean_tokens_reference_qwen']:.1f} | {own_t} | "
                  f"{r['mean_iou']:.4f} | {r['min_iou']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
