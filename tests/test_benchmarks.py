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
