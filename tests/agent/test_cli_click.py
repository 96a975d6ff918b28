"""``simpleseg click`` end to end: a real model folder, a real window, exit statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from .conftest import PARK_XY
from .test_real_model_x import screen_like_example

pytestmark = pytest.mark.timeout(240)
NO_SERVER = "http://127.0.0.1:9/v1"  # nothing listens there: a model error, at once


def _click(env, *args):
    return subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "click", *args], capture_output=True, text=True,
                          timeout=200, env=env)


@pytest.mark.slow
def test_dry_run_plans_draws_and_does_not_move(memorized_model_path, dual_monitors, open_window, xpointer, tmp_path):
    window = open_window(screen_like_example())
    out = _click(dual_monitors.env(), "the submit button", "--model", str(memorized_model_path), "--monitor", "1",
                 "--dry-run", "--json", "--overlay", str(tmp_path / "plan.png"))
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["status"] == "planned" and record["dry_run"] is True
    assert record["targets"][0]["xy_action"] == [640, 504]
    assert record["frame"]["monitor_xywh"] == [0, 0, 1280, 800]
    assert Image.open(tmp_path / "plan.png").size == (1280, 800)
    assert xpointer.position() == PARK_XY and window.sync() == []


@pytest.mark.slow
def test_consensus_decoding_plans_the_same_target(memorized_model_path, dual_monitors, open_window, xpointer):
    open_window(screen_like_example())
    out = _click(dual_monitors.env(), "the submit button", "--model", str(memorized_model_path), "--monitor", "1",
                 "--dry-run", "--json", "--samples", "2", "--temperature", "0.3")
    assert out.returncode == 0, out.stderr
    x, y = json.loads(out.stdout)["targets"][0]["xy_action"]
    assert abs(x - 640) <= 8 and abs(y - 504) <= 8  # the memorized answer, or a sample that agrees with it
    out = _click(dual_monitors.env(), "the submit button", "--model", str(memorized_model_path), "--samples", "-1")
    assert out.returncode == 2 and "samples must be an int >= 0" in out.stderr
    assert xpointer.position() == PARK_XY


@pytest.mark.slow
def test_click_fires_the_button(memorized_model_path, dual_monitors, open_window, tmp_path):
    window = open_window(screen_like_example())
    log = tmp_path / "actions.jsonl"
    out = _click(dual_monitors.env(), "the submit button", "--model", str(memorized_model_path), "--pause-s", "0",
                 "--log-path", str(log))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "click done: 'the submit button' at (640, 504) on monitor 1"
    assert [e["name"] for e in window.sync() if e["event"] == "click"] == ["submit"]
    assert json.loads(log.read_text())["status"] == "done"


@pytest.mark.slow
def test_a_failing_model_is_refused_with_status_1(dual_monitors, xpointer):
    out = _click(dual_monitors.env(), "the submit button", "--model", NO_SERVER, "--monitor", "2")
    assert out.returncode == 1
    # the server being unreachable may also be logged first; the refusal is the last line
    assert out.stderr.splitlines()[-1].startswith("simpleseg click: refused: the model's answer could not be used (model)")
    assert xpointer.position() == PARK_XY


@pytest.mark.slow
def test_no_display_and_bad_options_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
    out = _click(env, "the submit button", "--model", NO_SERVER)
    assert out.returncode == 2 and "DISPLAY is not set" in out.stderr
    out = _click(env, "the submit button", "--model", NO_SERVER, "--overlay", str(tmp_path / "plan.jpg"))
    assert out.returncode == 2 and "ending in .png" in out.stderr
    out = _click(env, "the submit button", "--model", NO_SERVER, "--max-area-fraction", "2")
    assert out.returncode == 2 and "max_area_fraction must be in (0, 1]" in out.stderr
