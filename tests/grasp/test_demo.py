"""The tabletop demo runs end to end and its 3-D grasp point lands on the object it was asked for."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path

import pytest
from PIL import Image

DEMO = Path(__file__).resolve().parents[2] / "demos" / "grasp_tabletop.py"
POINT = re.compile(r"3D grasp point \(camera frame\): x=(-?[\d.]+) y=(-?[\d.]+) z=(-?[\d.]+) m")


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("grasp_tabletop_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _run(demo, capsys, tmp_path, query):
    out = tmp_path / "grasp_demo.png"
    status = demo.main(["--query", query, "--out", str(out)])
    text = capsys.readouterr().out
    return status, text, out


@pytest.mark.slow
@pytest.mark.parametrize("query,name", [("the red box", "red box"), ("the green can", "green can"), ("the blue box", "blue box")])
def test_demo_grasp_point_matches_the_known_object_position(demo, capsys, tmp_path, query, name):
    status, text, out = _run(demo, capsys, tmp_path, query)
    assert status == 0, text
    assert out.exists() and Image.open(out).size == (640, 480)
    assert "grounded from the scene's known geometry; pass --model to use a real model" in text
    assert f"picture: {out}" in text and "planner time:" in text
    point = tuple(float(v) for v in POINT.search(text).groups())
    known = next(o for o in demo.SCENE if o.name == name).top_center_xyz_m
    assert math.dist(point, known) < 0.01, (point, known)


def test_demo_mug_is_pinched_at_its_rim(demo, capsys, tmp_path):
    status, text, _ = _run(demo, capsys, tmp_path, "the mug")
    assert status == 0, text
    x, y, z = (float(v) for v in POINT.search(text).groups())
    mug = next(o for o in demo.SCENE if o.name == "mug")
    r_out, wall = mug.size_m
    assert abs(z - mug.top_z_m) < 0.01
    assert r_out - wall - 0.01 < math.dist((x, y), mug.xy_m) < r_out + 0.01  # on the wall, not over the hole


def test_demo_unknown_object_fails_cleanly(demo, capsys, tmp_path):
    status, text, out = _run(demo, capsys, tmp_path, "the giraffe")
    assert status == 1 and "not_found" in text and out.exists()


@pytest.mark.slow
def test_demo_all_objects_prints_the_time_per_object(demo, capsys, tmp_path):
    status = demo.main(["--query", "the mug", "--out", str(tmp_path / "all.png"), "--all"])
    text = capsys.readouterr().out
    assert status == 0
    rows = re.findall(r"^\s+(.+?)\s+([\d.]+) ms\s+width", text, flags=re.M)
    assert [r[0] for r in rows] == [o.name for o in demo.SCENE]
