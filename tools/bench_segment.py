"""Latency of ``SimpleSeg.segment`` on a 1920x1080 screenshot: model time vs our own overhead.

The baseline is the backend alone (``backend.generate`` on the same image and prompt, measured in
the same run): everything ``segment`` adds on top of it - image intake, prompting, parsing,
geometry, the click target, the typed result - is our overhead. The model is the tiny Qwen2.5-VL
test checkpoint after memorizing a few scenes (built on first use, cached), on one CPU thread, so
the model's answer is a real polygon and the geometry work is real.

Run: ``python tools/bench_segment.py [--repeats 20]``. The last line is a JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from simpleseg_agent.backends.base import GenerationRequest
    from simpleseg_agent.testing import memorized_model_dir
    from simpleseg_agent.testing.memorize import screen_example
    from simpleseg_agent.tools import Decoding, SimpleSeg

    ex = screen_example()  # 1920x1080, memorized by the tiny model: its answer is a real polygon
    screen_pil = ex.image
    screen = np.asarray(screen_pil).copy()  # what a screenshot library hands over: an RGB array
    tool = SimpleSeg(memorized_model_dir(), decoding=Decoding(max_new_tokens=200))
    request = GenerationRequest(screen_pil, ex.prompt)  # the exact prompt segment() sends for this query

    tool.segment(screen, ex.query)  # warm-up (first call allocates)
    base_s, seg_total, seg_model, seg_over = [], [], [], []
    answer = None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        tool.backend.generate([request])
        base_s.append(time.perf_counter() - t0)
        r = tool.segment(screen, ex.query)
        answer = r
        seg_total.append(r.latency.total_s)
        seg_model.append(r.latency.model_s)
        seg_over.append(r.latency.overhead_s)
    med = statistics.median
    out = {
        "image_wh": [1920, 1080],
        "model_input_wh": list(answer.model_input_wh or ()),
        "answer_ok": answer.ok,
        "answer_tokens": answer.answer_tokens,
        "vertices": sum(len(p) for p in answer.polygons_xy_norm),
        "baseline_generate_ms": round(med(base_s) * 1e3, 2),
        "segment_total_ms": round(med(seg_total) * 1e3, 2),
        "segment_model_ms": round(med(seg_model) * 1e3, 2),
        "segment_overhead_ms": round(med(seg_over) * 1e3, 2),
        "overhead_vs_model_pct": round(100 * med(seg_over) / med(seg_model), 2),
        "total_vs_baseline": round(med(seg_total) / med(base_s), 3),
    }
    print(f"segment() on 1920x1080 (tiny model, 1 thread, {args.repeats} runs, medians)")
    print(f"  baseline backend.generate : {out['baseline_generate_ms']:8.2f} ms")
    print(f"  segment total             : {out['segment_total_ms']:8.2f} ms ({out['total_vs_baseline']:.3f}x baseline)")
    print(f"    model                   : {out['segment_model_ms']:8.2f} ms")
    print(f"    our overhead            : {out['segment_overhead_ms']:8.2f} ms ({out['overhead_vs_model_pct']:.2f}% of model time)")
    print(f"  answer: ok={answer.ok}, {answer.answer_tokens} tokens, {out['vertices']} vertices")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
