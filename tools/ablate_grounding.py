"""Perception-only grounding on a real-UI benchmark split: click accuracy per OCR engine and per rule left out.

Each screen is read once per engine (words cached as JSON under ``--cache``), then every query is grounded
with :func:`simpleseg_agent.screen.grounding.ground` with all rules and with each rule left out, and
with the OCR-only baseline (:func:`simpleseg_agent.training.baselines.ocr_click`) on the same words. A
click counts when it lands in the element's true region. Tune on ``dev``; the test split is for the
release report.

    python tools/ablate_grounding.py --split dev --engines tesseract,rapidocr
    python tools/ablate_grounding.py --split dev --engines tesseract --failures 40   # print misses
    python tools/ablate_grounding.py --data /work/data/real-train/train.jsonl        # the training set's apps
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _words(engine_name: str, path: Path, cache: Path):
    from PIL import Image

    from simpleseg_agent.screen.ocr import get_engine
    from simpleseg_agent.screen.words import ScreenWord

    key = hashlib.sha1(path.read_bytes()).hexdigest()[:16]
    f = cache / engine_name / f"{key}.json"
    if f.exists():
        d = json.loads(f.read_text())
        return [ScreenWord(tuple(w[0]), w[1], w[2]) for w in d["words"]], d["read_s"]
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    t0 = time.perf_counter()
    words = _ENGINES.setdefault(engine_name, get_engine(engine_name)).read(rgb)
    read_s = time.perf_counter() - t0
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps({"words": [[list(w.xyxy_px), w.text, w.line] for w in words], "read_s": read_s}))
    return words, read_s


_ENGINES: dict = {}


def _shared_boxes(p, p2):
    p2.boxes_ = p.boxes  # one screen, one set of element boxes
    return p2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "benchmarks" / "real-ui"), help="the benchmark folder, or a records file (.jsonl) such as the real-UI "
                         "training set's train.jsonl, a second set of real screens to tune on")
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--engines", default="tesseract,rapidocr")
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "simpleseg-ocr"), help="where words are cached")
    ap.add_argument("--failures", type=int, default=0, help="print this many misses of the full rule set")
    ap.add_argument("--every", type=int, default=1, help="every n-th query only")
    ap.add_argument("--json", default=None, help="write the table here as JSON")
    ap.add_argument("--model", action="store_true",
                    help="also run the shipped stack (SimpleSeg(): grounding, the model's shortlist and its answers "
                         "where words cannot decide) on each query, with the first engine's reading")
    ap.add_argument("--checkpoint", default=None,
                    help="with --model: this checkpoint folder in the shipped model's place (decoded as its preset)")
    args = ap.parse_args(argv)

    import numpy as np
    from PIL import Image

    from simpleseg_agent.geometry import point_in_region
    from simpleseg_agent.screen.grounding import RULES, ground
    from simpleseg_agent.screen.perception import ScreenPerception
    from simpleseg_agent.training.baselines import ocr_click
    from simpleseg_agent.training.records import read_records, resolve_image

    data = Path(args.data) if args.data.endswith(".jsonl") else Path(args.data) / f"{args.split}.jsonl"
    records = list(read_records(data))[:: args.every]
    variants = {"all rules": RULES, **{f"without {r}": RULES - {r} for r in sorted(RULES)}}
    table: dict = {}
    for engine in args.engines.split(","):
        perceptions: dict[str, ScreenPerception] = {}
        hits: dict[str, list] = defaultdict(list)
        by_label: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        by_source: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        misses = []
        seg = None
        if args.model:
            from simpleseg_agent.tools import Decoding, SimpleSeg

            seg = (SimpleSeg(args.checkpoint, preset="simpleseg-gui-small", decoding=Decoding(ocr_engine=engine))
                   if args.checkpoint else SimpleSeg(decoding=Decoding(ocr_engine=engine)))
            stages: dict[str, list] = defaultdict(list)
        for r in records:
            path = resolve_image(r, data)
            if str(path) not in perceptions:
                first, _, second = engine.partition("+")
                words, read_s = _words(first, path, Path(args.cache))
                with Image.open(path) as im:
                    p = ScreenPerception.from_image(im, words=words, engine=first, read_s=read_s)
                    if second:
                        words2, read2 = _words(second, path, Path(args.cache))
                        p2 = ScreenPerception(p.image_wh, words2, rgb=p.rgb, engine=second, read_s=read2)
                        p.second = (lambda p=p, p2=p2: _shared_boxes(p, p2))
                perceptions[str(path)] = p
            p = perceptions[str(path)]
            W, H = p.image_wh
            q = r.expressions[0]
            for name, rules in variants.items():
                g = ground(q, p, rules=rules)
                hit = bool(g.found and point_in_region((g.click_xy_px[0] / W, g.click_xy_px[1] / H), r.region))
                hits[name].append(hit)
                by_label[name][r.label].append(hit)
                by_source[name][r.source].append(hit)
                if name == "all rules" and not hit:
                    misses.append((r, g))
            if seg is not None:
                with Image.open(path) as im:
                    res = seg.locate_box(im.convert("RGB"), q)
                hit = bool(res.ok and point_in_region(res.click.xy_norm, r.region))
                grounded = res.stage in ("words", "label", "role", "order", "relation", "first", "shortlist")
                stages[res.stage or "not found"].append(hit)
                for name, h in (("stack: all", hit), ("stack: words only (no model answers)", hit and grounded)):
                    hits[name].append(h)
                    by_label[name][r.label].append(h)
                    by_source[name][r.source].append(h)
            found = ocr_click(q, p.words)
            hit = False
            if found is not None:
                (x0, y0, x1, y1), _ = found
                hit = bool(point_in_region(((x0 + x1) / 2 / W, (y0 + y1) / 2 / H), r.region))
            hits["OCR-only baseline"].append(hit)
            by_label["OCR-only baseline"][r.label].append(hit)
            by_source["OCR-only baseline"][r.source].append(hit)
        read = [p.read_s for p in perceptions.values()]
        if seg is not None:
            print("stack by stage: " + ", ".join(f"{k} {100 * np.mean(v):.0f} % of {len(v)}" for k, v in sorted(stages.items())))
            seg.close()
        print(f"\n## {engine}: {len(records)} queries on {len(perceptions)} screens; reading median "
              f"{np.median(read):.2f} s, p90 {np.percentile(read, 90):.2f} s")
        for name, h in hits.items():
            print(f"{name:24s} {100 * np.mean(h):5.1f} %")
        labels = sorted(by_label["all rules"], key=lambda k: -len(by_label["all rules"][k]))
        print("by type (all rules / OCR-only): " + ", ".join(
            f"{k} {100 * np.mean(by_label['all rules'][k]):.0f}/{100 * np.mean(by_label['OCR-only baseline'][k]):.0f} "
            f"(n={len(by_label['all rules'][k])})" for k in labels))
        print("by source (all rules / OCR-only): " + ", ".join(
            f"{k} {100 * np.mean(v):.0f}/{100 * np.mean(by_source['OCR-only baseline'][k]):.0f}"
            for k, v in sorted(by_source["all rules"].items())))
        table[engine] = {"n": len(records), "read_median_s": float(np.median(read)),
                         "read_p90_s": float(np.percentile(read, 90)),
                         "click_acc": {k: float(np.mean(v)) for k, v in hits.items()},
                         "by_label": {k: {"n": len(v), "click_acc": float(np.mean(v))} for k, v in by_label["all rules"].items()},
                         "by_source": {k: {"n": len(v), "click_acc": float(np.mean(v))} for k, v in by_source["all rules"].items()}}
        for r, g in misses[: args.failures]:
            gt = r.meta.get("box_px")
            print(f"  MISS {r.source}/{Path(r.image_path).stem} {r.label:10s} {r.expressions[0]!r}: {g.stage} "
                  f"{g.words!r} click={tuple(round(v) for v in g.click_xy_px) if g.click_xy_px else None} "
                  f"gt={[round(v) for v in gt] if gt else None} n={g.n_candidates} sl={len(g.shortlist)} {g.reason}")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
