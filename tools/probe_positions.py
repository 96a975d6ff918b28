"""Do a model's image tokens know where they are? A linear probe of their hidden states, layer by layer.

A grounding model has to turn "the close button" into coordinates: it must find the button's image
tokens and read their position. This probe checks the second half. For each layer of the language
model it fits a ridge regression from the hidden state of every image token to that token's centre
(column and row, normalized to the image), on the first screens, and scores it on the others (screens
never seen by the fit). High R^2 from some layer on means the position is there, linearly; a model
that still answers from layout habits then fails at finding the right token, not at knowing where
tokens are.

    python tools/probe_positions.py --model runs/default/sft/final --data runs/default/data/heldout/records.jsonl

Baseline in the same run: layer 0 (the vision tower's output before any language-model layer).
The last line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def probe(model_dir: str | Path, records: str | Path, *, screens: int = 60, fit_frac: float = 0.75,
          prompt: str = "Point to the close button in the image.", ridge: float = 0.1) -> list[dict]:
    """Per layer: R^2 and mean absolute error (normalized units) of the position probe on held-out screens.

    The first ``fit_frac`` of the screens fit the probe, the rest score it; layer 0 is the vision
    tower's output as the language model receives it.
    """
    import numpy as np
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    records = Path(records)
    paths = []
    for line in records.read_text().splitlines():
        p = json.loads(line)["image_path"]
        if p not in paths:
            paths.append(p)
    paths = paths[:screens]
    n_fit = int(round(len(paths) * fit_frac))
    if n_fit < 1 or n_fit >= len(paths):
        raise SystemExit(f"need screens both to fit and to test the probe: {len(paths)} screens, fit_frac {fit_frac}")
    proc = AutoProcessor.from_pretrained(str(model_dir))
    model = AutoModelForImageTextToText.from_pretrained(str(model_dir)).eval()
    image_token = model.config.image_token_id
    merge = model.config.vision_config.spatial_merge_size
    text = proc.apply_chat_template([{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}],
                                    add_generation_prompt=True)
    feats: dict[int, list] = {}
    targets, screen_of = [], []
    for i, rel in enumerate(paths):
        path = Path(rel) if Path(rel).is_absolute() else records.parent / rel
        enc = proc(images=[Image.open(path).convert("RGB")], text=[text], return_tensors="pt")
        with torch.no_grad():
            out = model(**enc, output_hidden_states=True)
        where = (enc["input_ids"][0] == image_token).nonzero()[:, 0]
        _, h, w = enc["image_grid_thw"][0].tolist()
        rows, cols = h // merge, w // merge
        if len(where) != rows * cols:
            raise SystemExit(f"{path}: {len(where)} image tokens, expected {rows}x{cols}")
        for layer, hs in enumerate(out.hidden_states):
            feats.setdefault(layer, []).append(hs[0, where].float().numpy())
        r, c = np.divmod(np.arange(rows * cols), cols)
        targets.append(np.stack([(c + 0.5) / cols, (r + 0.5) / rows], axis=1))
        screen_of += [i] * (rows * cols)
    y = np.concatenate(targets)
    fit = np.asarray(screen_of) < n_fit
    test = ~fit
    results = []
    for layer, chunks in sorted(feats.items()):
        x = np.concatenate(chunks)
        x = np.c_[x, np.ones(len(x))]
        coef = np.linalg.solve(x[fit].T @ x[fit] + ridge * np.eye(x.shape[1]), x[fit].T @ y[fit])
        pred = x[test] @ coef
        resid = ((pred - y[test]) ** 2).sum(axis=0)
        total = ((y[test] - y[test].mean(axis=0)) ** 2).sum(axis=0)
        r2 = 1.0 - resid / total
        mae = np.abs(pred - y[test]).mean(axis=0)
        results.append({"layer": layer, "r2_col": float(r2[0]), "r2_row": float(r2[1]),
                        "mae_col": float(mae[0]), "mae_row": float(mae[1])})
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="checkpoint folder (a Qwen2.5-VL)")
    parser.add_argument("--data", required=True, type=Path, help="records.jsonl of the screens")
    parser.add_argument("--screens", type=int, default=60, help="screens used (the first 3/4 fit the probe)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    rows = probe(args.model, args.data, screens=args.screens)
    print("| layer | R^2 column | R^2 row | mean abs. error column | row |\n|---|---|---|---|---|")
    for r in rows:
        name = "0 (vision output, the baseline)" if r["layer"] == 0 else str(r["layer"])
        print(f"| {name} | {r['r2_col']:.3f} | {r['r2_row']:.3f} | {r['mae_col']:.3f} | {r['mae_row']:.3f} |")
    summary = {"model": str(args.model), "screens": args.screens, "layers": rows}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
    sys.exit(0)
