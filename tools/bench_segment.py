"""Latency of ``SimpleSeg.segment`` on a 1920x1080 screenshot: the image processor, the model, our overhead.

The baseline is the backend alone (``backend.generate`` on the same image and prompt, measured in
the same run). The backend's time splits into the image processor (resize, patches, prompt
tokens: ``processor_s``), the forward passes (``model.generate``: ``generate_s``) and decoding the
answer tokens; everything ``segment`` adds on top of the backend - image intake, prompting,
parsing, geometry, the click target, the typed result - is our overhead. The processor is reported
on its own: it is neither the model's forward pass nor our code, and counting it as model time hid
it. The model is the tiny Qwen2.5-VL test checkpoint after memorizing a few scenes (built on first
use, cached), on one CPU thread, so the model's answer is a real polygon and the geometry work is real.

Stability: the baseline and ``segment`` calls alternate (ABBA order, so a slow drift of the machine
hits both alike), ``--rounds`` rounds of ``--repeats`` pairs each; each figure is the median over all
calls, and the ratios are also given per round (their spread says how far to trust them).

Run: ``python tools/bench_segment.py [--repeats 10 --rounds 3]``. The last line is a JSON object.
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
    parser.add_argument("--repeats", type=int, default=10, help="baseline/segment pairs per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the ratios' spread is over rounds)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from simpleseg_agent.testing import memorized_model_dir
    from simpleseg_agent.testing.memorize import screen_example
    from simpleseg_agent.tools import SimpleSeg

    ex = screen_example()  # 1920x1080, memorized by the tiny model: its answer is a real polygon
    screen_pil = ex.image
    screen = np.asarray(screen_pil).copy()  # what a screenshot library hands over: an RGB array
    tool = SimpleSeg(memorized_model_dir(), max_new_tokens=200)
    backend_generate = tool.backend.generate
    seen: list = []
    sent: list = []

    def recording_generate(requests):  # keeps segment()'s request and the backend's own timing split
        sent.extend(requests)
        results = backend_generate(requests)
        seen.extend(results)
        return results

    tool.backend.generate = recording_generate
    tool.segment(screen, ex.query)  # warm-up (first call allocates)
    if len(sent) != 1 or sent[0].prompt != ex.prompt:
        raise SystemExit(f"segment() sent {len(sent)} requests, expected one with the prompt {ex.prompt!r}")
    request = sent[0]  # the baseline repeats exactly what segment() asks: image, prompt, grammar, budget
    backend_generate([request])
    calls: dict[str, list[float]] = {k: [] for k in (
        "base_total", "base_processor", "base_generate", "seg_total", "seg_processor", "seg_generate", "seg_decode",
        "seg_overhead")}
    rounds: list[dict[str, float]] = []
    answer = None

    def baseline() -> None:
        t0 = time.perf_counter()
        (res,) = backend_generate([request])
        calls["base_total"].append(time.perf_counter() - t0)
        calls["base_processor"].append(res.extra["processor_s"])
        calls["base_generate"].append(res.extra["generate_s"])

    def segment() -> None:
        nonlocal answer
        seen.clear()
        r = tool.segment(screen, ex.query)
        answer = r
        (res,) = seen
        calls["seg_total"].append(r.latency.total_s)
        calls["seg_processor"].append(res.extra["processor_s"])
        calls["seg_generate"].append(res.extra["generate_s"])
        calls["seg_decode"].append(res.model_s - res.extra["processor_s"] - res.extra["generate_s"])
        calls["seg_overhead"].append(r.latency.overhead_s)

    med = statistics.median
    for _ in range(args.rounds):
        start = {k: len(v) for k, v in calls.items()}
        for i in range(args.repeats):
            for step in ((baseline, segment) if i % 2 == 0 else (segment, baseline)):
                step()
        part = {k: med(v[start[k]:]) for k, v in calls.items()}
        rounds.append({
            "overhead_vs_generate_pct": 100 * part["seg_overhead"] / part["seg_generate"],
            "processor_vs_generate_pct": 100 * part["seg_processor"] / part["seg_generate"],
            "total_vs_baseline": part["seg_total"] / part["base_total"],
        })
    m = {k: med(v) for k, v in calls.items()}

    def spread(key: str) -> list[float]:
        values = [r[key] for r in rounds]
        return [round(min(values), 3), round(max(values), 3)]

    out = {
        "image_wh": [1920, 1080],
        "model_input_wh": list(answer.model_input_wh or ()),
        "answer_ok": answer.ok,
        "answer_tokens": answer.answer_tokens,
        "vertices": sum(len(p) for p in answer.polygons_xy_norm),
        "calls_each": args.repeats * args.rounds,
        "baseline_total_ms": round(m["base_total"] * 1e3, 2),
        "baseline_processor_ms": round(m["base_processor"] * 1e3, 2),
        "baseline_generate_ms": round(m["base_generate"] * 1e3, 2),
        "segment_total_ms": round(m["seg_total"] * 1e3, 2),
        "segment_processor_ms": round(m["seg_processor"] * 1e3, 2),
        "segment_generate_ms": round(m["seg_generate"] * 1e3, 2),
        "segment_decode_ms": round(m["seg_decode"] * 1e3, 3),
        "segment_overhead_ms": round(m["seg_overhead"] * 1e3, 2),
        "processor_vs_generate_pct": round(100 * m["seg_processor"] / m["seg_generate"], 2),
        "overhead_vs_generate_pct": round(100 * m["seg_overhead"] / m["seg_generate"], 2),
        "total_vs_baseline": round(m["seg_total"] / m["base_total"], 3),
        "per_round_overhead_vs_generate_pct": spread("overhead_vs_generate_pct"),
        "per_round_processor_vs_generate_pct": spread("processor_vs_generate_pct"),
        "per_round_total_vs_baseline": spread("total_vs_baseline"),
    }
    n = out["calls_each"]
    print(f"segment() on 1920x1080 (tiny model, 1 thread, {n} interleaved calls each, medians; [min, max] over rounds)")
    print(f"  baseline backend.generate : {out['baseline_total_ms']:8.2f} ms "
          f"(processor {out['baseline_processor_ms']:.2f}, model.generate {out['baseline_generate_ms']:.2f})")
    print(f"  segment total             : {out['segment_total_ms']:8.2f} ms ({out['total_vs_baseline']:.3f}x baseline, "
          f"rounds {out['per_round_total_vs_baseline']})")
    print(f"    image processor         : {out['segment_processor_ms']:8.2f} ms ({out['processor_vs_generate_pct']:.2f}% "
          f"of model.generate, rounds {out['per_round_processor_vs_generate_pct']})")
    print(f"    model.generate          : {out['segment_generate_ms']:8.2f} ms")
    print(f"    token decoding          : {out['segment_decode_ms']:8.3f} ms")
    print(f"    our overhead            : {out['segment_overhead_ms']:8.2f} ms ({out['overhead_vs_generate_pct']:.2f}% "
          f"of model.generate, rounds {out['per_round_overhead_vs_generate_pct']})")
    print(f"  answer: ok={answer.ok}, {answer.answer_tokens} tokens, {out['vertices']} vertices")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
