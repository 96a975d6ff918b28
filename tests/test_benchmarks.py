"""The benchmark scripts run in their small mode and print what they claim (JSON on the last line)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str, timeout: int = 240) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / script), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bench_tokens_reaches_the_reference_iou_with_fewer_tokens():
    data = run_bench("bench_tokens.py", "--quick")
    (horse,) = data["masks"]
    assert horse["mask"] == "horse"
    assert horse["iou"] >= horse["ref_iou"]  # the reference's fidelity is reached ...
    assert horse["tokens"] <= horse["ref_tokens"]  # ... within its tokens
    assert horse["ratio"] == pytest.approx(horse["tokens"] / horse["ref_tokens"], abs=1e-3)
    assert data["worst_ratio"] == horse["ratio"]
    assert data["goal_met"] == (horse["ratio"] <= data["goal_ratio"])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bench_segment_reports_the_image_processor_apart_from_the_model():
    data = run_bench("bench_segment.py", "--repeats", "1", "--rounds", "2")
    assert data["answer_ok"] and data["calls_each"] == 2
    assert data["segment_processor_ms"] > 0 and data["baseline_processor_ms"] > 0
    parts = data["segment_processor_ms"] + data["segment_generate_ms"] + data["segment_decode_ms"] + data["segment_overhead_ms"]
    assert parts == pytest.approx(data["segment_total_ms"], rel=0.25)  # medians of parts ~ the median of the sum
    assert data["processor_vs_generate_pct"] == pytest.approx(
        100 * data["segment_processor_ms"] / data["segment_generate_ms"], rel=0.01)
    for key in ("per_round_overhead_vs_generate_pct", "per_round_processor_vs_generate_pct", "per_round_total_vs_baseline"):
        low, high = data[key]
        assert 0 < low <= high


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bench_geometry_reports_median_and_spread_on_four_polygon_sets():
    data = run_bench("bench_geometry.py", "--quick", "--pairs", "30")
    assert data["pairs"] == 30 and data["timing_rounds"] == 3
    assert set(data["sets"]) == {"smooth", "jagged", "spiky", "self-intersecting"}
    for name, figures in data["sets"].items():
        low, high = figures["speedup_spread"]
        assert 0 < low <= figures["speedup_vs_pycocotools"] <= high, name
        assert figures["max_abs_diff_vs_pycocotools"] <= 1e-9, name  # the same pixels as the reference decoder
    assert data["speedup_vs_pycocotools"] == pytest.approx(data["sets"]["smooth"]["speedup_vs_pycocotools"], abs=0.06)


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_bench_training_times_gspo_steps_that_learn():
    """The memorized model's GSPO steps scored 1 with zero spread: no gradient, nothing learned, yet timed."""
    data = run_bench("bench_training.py", "--sft-steps", "2", "--gspo-steps", "3", timeout=380)
    assert 1 <= data["gspo_steps_learning"] <= data["gspo_steps_timed_of"] == 2
    assert data["gspo_reward_std_mean"] > 0 and data["gspo_grad_norm_median"] > 0
    assert data["gspo_step_s"] > 0 and data["sft_step_s"] > 0
