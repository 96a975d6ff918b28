"""The form demo runs end to end on its own virtual screen, and the form receives what the agent typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import _missing

DEMO = Path(__file__).resolve().parents[2] / "demos" / "gui_form.py"
pytestmark = pytest.mark.timeout(120)


def _run(*args) -> subprocess.CompletedProcess:
    reason = _missing()
    if reason:
        if os.environ.get("SIMPLESEG_REQUIRE_X"):
            pytest.fail(f"SIMPLESEG_REQUIRE_X is set but {reason}")
        pytest.skip(reason)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
    return subprocess.run([sys.executable, str(DEMO), "--pause-s", "0", *args], capture_output=True, text=True, timeout=100, env=env)


@pytest.mark.slow
def test_demo_fills_and_submits_the_form(tmp_path):
    out = _run("--name", "Grace Hopper", "--email", "grace@navy.mil", "--overlay-dir", str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "grounded from the form's known colors; pass --model to use a real model" in lines
    assert lines[-1] == "the form received: name='Grace Hopper' email='grace@navy.mil'"
    assert sum(line.startswith(("type into done", "click done")) for line in lines) == 3
    assert len(list(tmp_path.glob("*.png"))) == 3


@pytest.mark.slow
def test_demo_dry_run_submits_nothing():
    out = _run("--dry-run")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "dry run: nothing was typed or clicked" in out.stdout
    assert "the form received" not in out.stdout
