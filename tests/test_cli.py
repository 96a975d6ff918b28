"""The simpleseg CLI: each subcommand's output, and exit status 2 with a one-line reason on bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.cli import main, read_mask_png, write_mask_png

TRI = "It is at [[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]."
SQUARE = "[[[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]]"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_json(capsys):
    code, out, _ = run(capsys, "parse", TRI, "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "polygons" and not data["truncated"]
    assert data["polygons_xy_norm"] == [[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]


def test_parse_truncated_and_spaces(capsys):
    code, out, _ = run(capsys, "parse", "[[[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]], [[0.5, 0.5], [0.6", "--json")
    assert code == 0 and json.loads(out)["truncated"] is True
    code, out, _ = run(capsys, "parse", "Click [320, 240]", "--space", "px", "--size", "640x480", "--json")
    assert json.loads(out)["xy_norm"] == [0.5, 0.5]
    code, out, _ = run(capsys, "parse", "<box>[100, 200, 300, 400]</box>", "--space", "1000", "--json")
    assert json.loads(out)["xyxy_norm"] == [0.1, 0.2, 0.3, 0.4]


@pytest.mark.parametrize(
    "argv",
    [
        ["parse", "no coordinates here"],
        ["parse", ""],
        ["parse", "[[[0.1, nan], [0.2, 0.3], [0.3, 0.3]]]"],
        ["parse", "[[[0.1, -0.2], [0.2, 0.3], [0.3, 0.3]]]"],
        ["parse", "[[[0.1, 1e-3], [0.2, 0.3], [0.3, 0.3]]]"],
        ["parse", "[[[0.1, 1.5], [0.2, 0.3], [0.3, 0.3]]]", "--out-of-range", "reject"],
        ["parse", "[10, 20]", "--space", "px"],  # pixels without a size
        ["poly2mask", "garbage", "--size", "10x10", "--out", "x.png"],
        ["iou", SQUARE, SQUARE],  # two texts need --size
        ["mask2poly", "does-not-exist.png"],
    ],
)
def test_malformed_input_exits_2_with_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "error:" in err


def test_mask2poly_poly2mask_iou_round_trip(capsys, tmp_path):
    m = np.zeros((48, 64), bool)
    m[10:30, 8:40] = True
    mask_path = tmp_path / "m.png"
    write_mask_png(m, mask_path)
    code, text, _ = run(capsys, "mask2poly", str(mask_path))
    assert code == 0 and text.strip() == "[[[0.125, 0.208], [0.625, 0.208], [0.625, 0.625], [0.125, 0.625]]]"
    out_path = tmp_path / "out" / "back.png"
    code, _, _ = run(capsys, "poly2mask", text.strip(), "--size", "64x48", "--out", str(out_path))
    assert code == 0
    back = read_mask_png(out_path)
    assert back.shape == (48, 64)
    code, out, _ = run(capsys, "iou", str(mask_path), str(out_path), "--json")
    assert code == 0 and json.loads(out)["iou"] >= 0.95
    code, out, _ = run(capsys, "iou", str(mask_path), text.strip())  # a mask and a text
    assert code == 0 and float(out) >= 0.95


@pytest.mark.slow
def test_mask2poly_budget_holes_and_empty(capsys, tmp_path):
    yy, xx = np.mgrid[:80, :80]
    d = np.hypot(xx - 40, yy - 40)
    write_mask_png((d < 30) & (d > 12), tmp_path / "ring.png")
    code, out, _ = run(capsys, "mask2poly", str(tmp_path / "ring.png"), "--holes", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["parts"][0]["holes"]) == 1
    code, small, _ = run(capsys, "mask2poly", str(tmp_path / "ring.png"), "--budget", "60")
    code2, large, _ = run(capsys, "mask2poly", str(tmp_path / "ring.png"), "--budget", "400")
    assert code == code2 == 0 and len(small) < len(large)
    write_mask_png(np.zeros((5, 5), bool), tmp_path / "empty.png")
    code, _, err = run(capsys, "mask2poly", str(tmp_path / "empty.png"))
    assert code == 2 and "empty" in err


def test_iou_of_two_texts(capsys):
    code, out, _ = run(capsys, "iou", SQUARE, "[[[0.5, 0.25], [1.0, 0.25], [1.0, 0.75], [0.5, 0.75]]]", "--size", "100x100")
    assert code == 0 and float(out) == pytest.approx(1 / 3)


def test_overlay(capsys, tmp_path):
    img = tmp_path / "img.png"
    Image.fromarray(np.full((60, 80, 3), 200, np.uint8)).save(img)
    out = tmp_path / "ov.png"
    code, printed, _ = run(capsys, "overlay", str(img), SQUARE, "--out", str(out))
    assert code == 0 and printed.strip() == str(out)
    arr = np.asarray(Image.open(out))
    assert arr.shape == (60, 80, 3)
    assert (arr[30, 40] != 200).any() and (arr[2, 2] == 200).all()
    code, _, err = run(capsys, "overlay", str(tmp_path / "missing.png"), SQUARE, "--out", str(out))
    assert code == 2 and "missing.png" in err


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_console_script_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "simpleseg_agent.cli", "parse", "[0.5, 0.25]", "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["xy_norm"] == [0.5, 0.25]
    proc = subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "parse", "nothing"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_mask2poly_of_a_photo_mask_touching_the_bottom_edge(capsys, tmp_path):
    from skimage.data import camera

    write_mask_png(camera() < 80, tmp_path / "camera.png")
    code, out, err = run(capsys, "mask2poly", str(tmp_path / "camera.png"))
    assert code == 0, err
    assert out.startswith("[[[")


def test_iou_reads_a_long_answer_as_text_not_as_a_file_name(capsys, tmp_path):
    """``simpleseg iou mask.png "$(simpleseg mask2poly mask.png)"``: a 5 KB answer was taken for a path."""
    yy, xx = np.mgrid[:300, :300]
    m = np.hypot(xx - 150, yy - 150) < 120 + 20 * np.sin(np.arctan2(yy - 150, xx - 150) * 17)
    write_mask_png(m, tmp_path / "mask.png")
    code, text, _ = run(capsys, "mask2poly", str(tmp_path / "mask.png"), "--epsilon", "0")
    assert code == 0 and len(text) > 4096
    code, out, err = run(capsys, "iou", str(tmp_path / "mask.png"), text.strip())
    assert code == 0, err
    assert float(out) >= 0.95
    code, out, err = run(capsys, "iou", text.strip(), str(tmp_path / "mask.png"), "--json")
    assert code == 0 and json.loads(out)["iou"] >= 0.95
    code, _, err = run(capsys, "iou", str(tmp_path / "missing.png"), text.strip())
    assert code == 2 and "missing.png" in err


def test_poly2mask_refuses_a_huge_size_with_one_line(capsys, tmp_path):
    code, out, err = run(capsys, "poly2mask", SQUARE, "--size", "1000000x1000000", "--out", str(tmp_path / "m.png"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "too large" in err and "32768" in err
    assert not (tmp_path / "m.png").exists()
