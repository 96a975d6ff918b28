"""Latency of the shipped default model on CPU: one query at a time, and batched, on held-out screens.

The baseline is the same queries answered in batches of 8 (what ``simpleseg eval`` does), measured
in the same run; the figure that matters for an agent is the single-query latency of
``SimpleSeg.segment`` (image intake, prompt, the model's answer, parsing, the click target), against
the 1 s budget of a desktop agent's step. Screens are freshly generated held-out screens (the
held-out seed), queries their first expressions.

It also times constrained decoding (``Decoding(constrained=True)``: only well-formed coordinate lists)
against the plain greedy single query of the same run. With ``--samples K`` it also times consensus
decoding (``Decoding(samples=K)``: the greedy answer and K sampled ones per query), against the
greedy single query of the same run. And it times snapping (``Decoding(constrained=True, snap=True)``: the
outline snapped to a screen element, the model scoring the candidates) against constrained decoding
without it, the preset's decoding before snapping existed. Snapping as the shipped preset does it chooses
without generating an answer (``choose_only``, the default for a choice-trained model); it is timed against
snapping that generates the answer first (``choose_only=False``), the preset's decoding before it. The preset
also reads the screen's words (``read_text``, Tesseract, in a thread while the model scores); it is timed
reading every query's screen afresh (no screen remembered, an agent's worst case), against choosing without
reading (``read_text=False``), the preset's decoding before it. Every snapped decoding here also settles a
chosen line of text's extent (``text_extent``, the preset's default; a crop of the chosen box's rows). The
preset also settles other chosen shapes' outlines (``shape_extent``) and favours the kind of element a query
names (``kinds``); it is timed against the same reading without those two, the preset's decoding before them.

On real screens (``--real-ui N``, the default stack's target): N 1280x800 screens of the real-UI benchmark's dev
split, every query once, each query reading its screen afresh (the perception cache cleared: OCR and element
boxes included, an agent's worst case), the shipped stack (``SimpleSeg()``: grounding on the screen's words,
the model on the shortlist and where words cannot decide) against the model alone on the same queries
(``Decoding(ground=False)``, the preset's decoding before grounding, also reading every screen afresh); the
target is a median of at most 1 s and a p90 of at most 2 s.

Run: ``python tools/bench_default_model.py [--screens 8] [--threads 1] [--samples 8] [--real-ui 6] [--real-ui-only]``.
The last line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from simpleseg_agent.tools import Decoding


def _time_each(tool, jobs: list) -> list[float]:
    """Seconds of ``tool.segment`` for each ``(image, query)``, after one warm-up query."""
    tool.segment(jobs[0][0], jobs[0][1])
    seconds = []
    for image, query in jobs:
        t0 = time.perf_counter()
        tool.segment(image, query)
        seconds.append(time.perf_counter() - t0)
    return seconds


def real_ui_latency(n_screens: int, model: str | None) -> dict:
    """Seconds per query of the shipped stack and of the model alone on real 1280x800 screens (see the module
    docstring)."""
    from pathlib import Path

    from PIL import Image

    from simpleseg_agent.backends.presets import DEFAULT_MODEL
    from simpleseg_agent.screen.words import ScreenReader
    from simpleseg_agent.tools import SimpleSeg
    from simpleseg_agent.training.records import read_records, resolve_image

    data = Path(__file__).resolve().parents[1] / "benchmarks" / "real-ui" / "dev.jsonl"
    by_screen: dict[str, list[str]] = {}
    for r in read_records(data):
        if tuple(r.image_wh) == (1280, 800):
            by_screen.setdefault(str(resolve_image(r, data)), []).append(r.expressions[0])
    # screens spread over the split's apps: every k-th of them
    paths = sorted(by_screen)[:: max(1, len(by_screen) // max(n_screens, 1))][:n_screens]
    jobs = []
    for path in paths:
        with Image.open(path) as im:
            image = im.convert("RGB")
        jobs += [(image, q) for q in by_screen[path]]
    stack = SimpleSeg(model or DEFAULT_MODEL)
    alone = SimpleSeg(model or DEFAULT_MODEL, decoding=Decoding(ground=False))
    if alone.decoding.read_text:
        alone._reader = ScreenReader(cache_size=0)  # every query reads its screen afresh
    stages: dict[str, int] = {}

    def cold(tool, image, query):
        tool.clear_screen_cache()
        r = tool.locate_box(image, query)
        stages[str(r.stage)] = stages.get(str(r.stage), 0) + 1
        return r

    cold(stack, *jobs[0]), cold(alone, *jobs[0])  # warm-up (the engines load)
    stages.clear()
    ours, base = [], []
    for image, query in jobs:  # interleaved, so that load on the machine hits both alike
        t0 = time.perf_counter()
        cold(stack, image, query)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        alone.locate_box(image, query)
        base.append(time.perf_counter() - t0)

    def p90(xs):
        return sorted(xs)[int(0.9 * (len(xs) - 1))]

    out = {"real_ui_screens": len(paths), "real_ui_queries": len(jobs), "real_ui_ocr_engine": stack.decoding.ocr_engine,
           "real_ui_median_s": round(statistics.median(ours), 4), "real_ui_p90_s": round(p90(ours), 4),
           "real_ui_model_alone_median_s": round(statistics.median(base), 4),
           "real_ui_model_alone_p90_s": round(p90(base), 4),
           "real_ui_vs_model_alone": round(statistics.median(ours) / statistics.median(base), 2),
           "real_ui_within_target": statistics.median(ours) <= 1.0 and p90(ours) <= 2.0}
    print(f"real screens: {len(jobs)} queries on {len(paths)} 1280x800 dev screens, each read afresh "
          f"({stack.decoding.ocr_engine}); stages {dict(sorted(stages.items()))}")
    print(f"shipped stack: median {out['real_ui_median_s'] * 1000:.0f} ms, p90 {out['real_ui_p90_s'] * 1000:.0f} ms "
          f"({'within' if out['real_ui_within_target'] else 'over'} the 1 s / 2 s target); the model alone: median "
          f"{out['real_ui_model_alone_median_s'] * 1000:.0f} ms, p90 {out['real_ui_model_alone_p90_s'] * 1000:.0f} ms "
          f"-> {out['real_ui_vs_model_alone']:.2f}x")
    stack.close()
    alone.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=8, help="held-out screens (all their queries are timed)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--model", default=None, help="model (default: the shipped default model)")
    parser.add_argument("--samples", type=int, default=0, help="also time consensus decoding with K samples")
    parser.add_argument("--real-ui", type=int, default=6, metavar="N", help="real 1280x800 screens to time (0: none)")
    parser.add_argument("--real-ui-only", action="store_true", help="time the real screens only")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import torch

    torch.set_num_threads(args.threads)
    real = real_ui_latency(args.real_ui, args.model) if args.real_ui else {}
    if args.real_ui_only:
        print(json.dumps(real))
        return real
    from simpleseg_agent.backends.presets import DEFAULT_MODEL
    from simpleseg_agent.tools import SimpleSeg
    from simpleseg_agent.training.default_model import HELDOUT_DATA
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    gen = GuiScreenGenerator(GuiSynthConfig(difficulty=HELDOUT_DATA["difficulty"]))
    jobs = []
    for i in range(args.screens):
        image, records = gen.screen(i, seed=HELDOUT_DATA["seed"])
        jobs += [(image, r.expressions[0]) for r in records]
    tool = SimpleSeg(args.model or DEFAULT_MODEL, decoding=Decoding(constrained=False, snap=False))
    tool.segment(jobs[0][0], jobs[0][1])  # warm-up

    single, model_only, tokens = [], [], []
    for image, query in jobs:
        t0 = time.perf_counter()
        r = tool.segment(image, query)
        single.append(time.perf_counter() - t0)
        model_only.append(r.latency.model_s)
        tokens.append(r.answer_tokens)
    t0 = time.perf_counter()
    for k in range(0, len(jobs), 8):
        chunk = jobs[k:k + 8]
        tool.run_batch([im for im, _ in chunk], [q for _, q in chunk], "mask")
    batched = (time.perf_counter() - t0) / len(jobs)

    cmed = statistics.median(_time_each(SimpleSeg(args.model or DEFAULT_MODEL, decoding=Decoding(constrained=True, snap=False)), jobs))
    generating = _time_each(SimpleSeg(args.model or DEFAULT_MODEL, decoding=Decoding(constrained=True, snap=True, choose_only=False)), jobs)
    gmed, gp90 = statistics.median(generating), sorted(generating)[int(0.9 * (len(generating) - 1))]
    unread = _time_each(SimpleSeg(args.model or DEFAULT_MODEL, decoding=Decoding(constrained=True, snap=True, read_text=False)), jobs)
    umed, up90 = statistics.median(unread), sorted(unread)[int(0.9 * (len(unread) - 1))]
    from simpleseg_agent.screen.words import ScreenReader

    before = SimpleSeg(args.model or DEFAULT_MODEL, decoding=Decoding(constrained=True, snap=True, shape_extent=False, kinds=False))
    snap_tool = SimpleSeg(args.model or DEFAULT_MODEL, decoding=Decoding(constrained=True, snap=True))  # choose-only, reading where they apply
    for t in (before, snap_tool):
        if t.read_text:
            t._reader = ScreenReader(cache_size=0)  # every query reads its screen afresh
    previous = _time_each(before, jobs)
    pmed, pp90 = statistics.median(previous), sorted(previous)[int(0.9 * (len(previous) - 1))]
    snapped = _time_each(snap_tool, jobs)
    smed, sp90 = statistics.median(snapped), sorted(snapped)[int(0.9 * (len(snapped) - 1))]
    voted = _time_each(SimpleSeg(args.model or DEFAULT_MODEL, decoding=Decoding(samples=args.samples, snap=False)), jobs) if args.samples else []

    med = statistics.median(single)
    p90 = sorted(single)[int(0.9 * (len(single) - 1))]
    result = {
        **real, "queries": len(jobs), "threads": args.threads,
        "single_query_median_s": round(med, 4), "single_query_p90_s": round(p90, 4),
        "model_share_of_single": round(statistics.median(m / s for m, s in zip(model_only, single)), 3),
        "batched_per_query_s": round(batched, 4), "single_vs_batched": round(med / batched, 2),
        "median_answer_tokens": statistics.median(tokens), "budget_s": 1.0, "within_budget": med <= 1.0,
        "constrained_median_s": round(cmed, 4), "constrained_vs_plain": round(cmed / med, 2),
        "snapped_median_s": round(smed, 4), "snapped_p90_s": round(sp90, 4), "snapped_vs_constrained": round(smed / cmed, 2),
        "snapped_within_budget": smed <= 1.0, "snapped_choose_only": snap_tool.decoding.choose_only,
        "snapped_generating_median_s": round(gmed, 4), "snapped_generating_p90_s": round(gp90, 4),
        "snapped_vs_generating": round(smed / gmed, 2), "snapped_read_text": snap_tool.decoding.read_text,
        "snapped_unread_median_s": round(umed, 4), "snapped_unread_p90_s": round(up90, 4),
        "snapped_vs_unread": round(smed / umed, 2), "snapped_p90_within_budget": sp90 <= 1.0,
        "snapped_boxes_median_s": round(pmed, 4), "snapped_boxes_p90_s": round(pp90, 4),
        "snapped_vs_boxes": round(smed / pmed, 2), "snapped_kinds": snap_tool.decoding.kinds,
    }
    if voted:
        vmed, vp90 = statistics.median(voted), sorted(voted)[int(0.9 * (len(voted) - 1))]
        result.update(consensus_samples=args.samples, consensus_median_s=round(vmed, 4), consensus_p90_s=round(vp90, 4),
                      consensus_vs_greedy=round(vmed / med, 2), consensus_within_budget=vmed <= 1.0)
    print(f"{len(jobs)} queries on {args.screens} held-out screens, {args.threads} thread(s)")
    print(f"one query at a time (SimpleSeg.segment): median {med * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms "
          f"({'within' if med <= 1.0 else 'over'} the 1 s budget); the model is {100 * result['model_share_of_single']:.0f} % of it")
    print(f"baseline, batches of 8: {batched * 1000:.0f} ms per query -> single / batched = {result['single_vs_batched']:.2f}x")
    print(f"constrained decoding: median {cmed * 1000:.0f} ms -> {result['constrained_vs_plain']:.2f}x the plain single query")
    print(f"snapped, generating the answer first (choose_only=False): median {gmed * 1000:.0f} ms, p90 {gp90 * 1000:.0f} ms")
    print(f"snapped, choosing without reading the screen (read_text=False): median {umed * 1000:.0f} ms, p90 {up90 * 1000:.0f} ms")
    print(f"snapped, reading, without settling shapes or kinds (shape_extent=False, kinds=False): "
          f"median {pmed * 1000:.0f} ms, p90 {pp90 * 1000:.0f} ms")
    how = "choosing without an answer" if snap_tool.decoding.choose_only else "generating the answer (choose-only does not apply)"
    how += ", reading every screen afresh" if snap_tool.decoding.read_text else ", without reading (no tesseract)"
    print(f"snapped as the preset does ({how}): median {smed * 1000:.0f} ms, p90 {sp90 * 1000:.0f} ms "
          f"-> {result['snapped_vs_constrained']:.2f}x constrained decoding without snapping, "
          f"{result['snapped_vs_generating']:.2f}x snapping that generates the answer first, "
          f"{result['snapped_vs_unread']:.2f}x choosing without reading, "
          f"{result['snapped_vs_boxes']:.2f}x without settling shapes or kinds")
    if voted:
        print(f"consensus of greedy + {args.samples} samples: median {vmed * 1000:.0f} ms, p90 {vp90 * 1000:.0f} ms "
              f"-> {result['consensus_vs_greedy']:.2f}x the greedy single query")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
