"""Shared by the resume tests: start a training command, kill it after its first checkpoint, resume it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path


def crash_then_resume(cmd: list[str], out: Path) -> tuple[int, dict]:
    """Run ``cmd`` (a ``simpleseg train ...`` command writing to ``out``) towards 500 steps, SIGKILL it once a
    checkpoint is on disk (a crash, not a clean stop), then run it again to 5 steps past that checkpoint.
    Returns the last checkpoint's step before the kill and the final model's ``simpleseg_model.json``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd + ["--max-steps", "500"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not any(out.glob("checkpoint-*/trainer_state.json")):
            assert proc.poll() is None, "training ended before its first checkpoint"
            time.sleep(0.2)
        time.sleep(0.5)  # let the checkpoint finish writing
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    steps = sorted(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*"))
    assert steps, "no checkpoint was written before the kill"
    done = subprocess.run(cmd + ["--max-steps", str(steps[-1] + 5)], capture_output=True, text=True, timeout=300, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return steps[-1], json.loads((out / "final" / "simpleseg_model.json").read_text())
