"""Do a model's image tokens know where they are? A linear probe of their hidden states, layer by layer.

A grounding model has to turn "the close button" into coordinates: it must find the button's image
tokens and read their position. This probe checks the second half. For each layer of the language
model it fits a ridge regression from the hidden state of every image token to that token's centre
(column and row, normalized to the image), on the first screens, and scores it on the others (screens
never seen by the fit). High R^2 from some layer on means the position is there, linearly; a model
that still answers from layout habits then fails at finding the right token, not at knowing where
tokens are. ``--answers N`` checks that directly: over the first N queries (the first expression of
each element; with ``--name close`` only the title bars' close buttons, one query whose answer a
layout habit cannot give when the window moves, as on starter screens), how well the centre of the
answered box follows the element's true centre (Pearson r and mean absolute error, per axis). Over
mixed queries r also rewards knowing where each kind of element usually is; over one kind of
element, a model answering from habit gives the same place whatever the screen (r near 0).

    python tools/probe_positions.py --model runs/default/sft/final --data runs/default/data/heldout/records.jsonl
    python tools/probe_positions.py --model runs/default/gspo/final --data starter/records.jsonl --answers 100 --name close

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


def answer_tracking(model: str | Path, records: str | Path, *, queries: int = 120, name: str | None = None) -> dict:
    """How the answered boxes' centres follow the true centres: Pearson r and mean abs. error per axis.

    ``name`` keeps only the records whose ``meta["name"]`` is that (``"close"``: title-bar close buttons).
    Unparseable answers are counted (``failed``) and left out of the statistics.
    """
    import numpy as np

    from simpleseg_agent.tools import SimpleSeg
    from simpleseg_agent.training.records import read_records, resolve_image

    seg = SimpleSeg(str(model))  # read in the space the checkpoint declares (simpleseg_model.json)
    got, want, failed = [], [], 0
    picked = [r for r in read_records(records) if name is None or r.meta.get("name") == name][:queries]
    if not picked:
        raise SystemExit(f"no record named {name!r} in {records}")
    for record in picked:
        result = seg.segment(resolve_image(record, records), record.expressions[0])
        if not result.ok or result.xyxy_norm is None:
            failed += 1
            continue
        x1, y1, x2, y2 = result.xyxy_norm
        got.append(((x1 + x2) / 2, (y1 + y2) / 2))
        t = record.region.xyxy
        want.append(((t[0] + t[2]) / 2, (t[1] + t[3]) / 2))
    if len(got) < 3:
        raise SystemExit(f"only {len(got)} of {len(picked)} answers parsed: nothing to correlate")
    g, w = np.asarray(got), np.asarray(want)
    r = [float(np.corrcoef(g[:, k], w[:, k])[0, 1]) if g[:, k].std() > 0 else 0.0 for k in (0, 1)]
    mae = np.abs(g - w).mean(axis=0)
    return {"queries": len(picked), "name": name, "failed": failed, "r_x": r[0], "r_y": r[1], "mae_x": float(mae[0]), "mae_y": float(mae[1])}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="checkpoint folder (a Qwen2.5-VL)")
    parser.add_argument("--data", required=True, type=Path, help="records.jsonl of the screens")
    parser.add_argument("--screens", type=int, default=60, help="screens used (the first 3/4 fit the probe)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--answers", type=int, default=0,
                        help="also ask the first N queries and correlate the answers' centres with the truth")
    parser.add_argument("--name", default=None, help="with --answers: only elements of this meta name (close)")
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
    if args.answers:
        track = answer_tracking(args.model, args.data, queries=args.answers, name=args.name)
        print(f"answers ({track['queries']} queries, {track['failed']} unparsed): centre x r {track['r_x']:.3f} "
              f"(mean abs. error {track['mae_x']:.3f}), y r {track['r_y']:.3f} (mean abs. error {track['mae_y']:.3f})")
        summary["answers"] = track
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
    sys.exit(0)
