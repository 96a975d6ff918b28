"""Targets for fine-tuning a released SimpleSeg checkpoint are written as that model writes its
answers (what the reference data script printed: OpenCV's vertex order and start point, numbers as
``np.round(p, 3).tolist()`` prints them); our own models keep the canonical style."""

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.geometry import mask_to_region
from simpleseg_agent.grammar import format_box, format_polygons
from simpleseg_agent.training.config import SFTRecipe
from simpleseg_agent.training.records import Record, write_records
from simpleseg_agent.training.tasks import BuildOptions, DataError, iter_task_rows

W, H = 160, 120


def known_mask() -> np.ndarray:
    """An ellipse, a tilted rectangle and a small triangle: curved, slanted and straight borders."""
    m = np.zeros((H, W), np.uint8)
    cv2.ellipse(m, (50, 60), (38, 27), 20, 0, 360, 1, -1)
    cv2.fillPoly(m, [np.array([[100, 15], [150, 30], [140, 70], [95, 55]], np.int32)], 1)
    cv2.fillPoly(m, [np.array([[110, 90], [140, 112], [100, 110]], np.int32)], 1)
    return m.astype(bool)


def reference_text(mask: np.ndarray) -> str:
    """What the reference data script prints for ``mask``."""
    h, w = mask.shape
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for c in contours:
        approx = cv2.approxPolyDP(c, 0.001 * cv2.arcLength(c, True), True)
        polygons.append(np.round(approx[:, 0, :] / np.array([w, h]), 3).tolist())
    return str(polygons)


@pytest.fixture()
def record(tmp_path):
    mask = known_mask()
    Image.new("RGB", (W, H), (200, 200, 200)).save(tmp_path / "a.png")
    rec = Record("a.png", (W, H), ["the shapes"], mask_to_region(mask, epsilon_frac=0.0), record_id="a")
    write_records([rec], tmp_path / "records.jsonl")  # through the file, as training reads records
    return tmp_path / "records.jsonl", mask, rec


def answer(records_path, kind: str, **options) -> str:
    rows = list(iter_task_rows(records_path, format="sft", mix=f"{kind}=1", options=BuildOptions(**options)))
    assert len(rows) == 1
    return rows[0]["messages"][1]["content"][0]["text"]


def test_released_targets_are_what_the_reference_script_prints(record):
    path, mask, _ = record
    expected = reference_text(mask)
    assert len(json.loads(expected)) == 3  # three components, read from the mask
    text = answer(path, "text2mask", target_style="released")
    assert expected in text, (text, expected)
    assert text in (f"{expected}.", f"Sure, you can find it at {expected}.", f"It is found at {expected}.",
                    f"It is at {expected}.")


def test_released_boxes_and_points_print_numbers_as_python_does(record):
    path, _, rec = record
    box = answer(path, "text2box", target_style="released")
    x1, y1, x2, y2 = np.round(np.asarray(rec.xyxy_norm, float), 3).tolist()
    assert str([x1, y1, x2, y2]) in box
    point = answer(path, "text2point", target_style="released")
    assert str(np.round(np.asarray(rec.point_norm, float), 3).tolist()) in point


def test_the_canonical_style_is_unchanged_and_differs_from_the_released(record):
    path, mask, rec = record
    canonical = answer(path, "text2mask")
    polygons = [np.clip(p.outer, 0, 1) for p in rec.region.parts]
    assert format_polygons(polygons) in canonical  # clockwise from the top-most vertex, fixed decimals
    assert format_box(np.asarray(rec.xyxy_norm)) in answer(path, "text2box")
    assert reference_text(mask) not in canonical


def test_released_targets_need_the_reference_number_style():
    with pytest.raises(DataError, match="released"):
        BuildOptions(style="compact", target_style="released")


@pytest.mark.parametrize("model, chosen, expected", [
    ("simpleseg-qwen2.5-vl", "auto", "released"),
    ("simpleseg-kimi-vl", "auto", "released"),
    ("sthui/SimpleSeg-Qwen2.5-VL", "auto", "released"),
    ("simpleseg-gui-small", "auto", "canonical"),  # our own model keeps the canonical style
    ("Qwen/Qwen2.5-VL-3B-Instruct", "auto", "canonical"),
    ("simpleseg-qwen2.5-vl", "canonical", "canonical"),  # chosen explicitly in the recipe
    ("simpleseg-gui-small", "released", "released"),
])
def test_the_target_style_follows_the_preset_unless_chosen(model, chosen, expected):
    from simpleseg_agent.training.runner import target_style

    assert target_style(SFTRecipe(model={"model": model}, data={"target_style": chosen})) == expected


def test_a_checkpoint_fine_tuned_on_released_targets_keeps_them(tmp_path):
    from simpleseg_agent.training.runner import target_style

    (tmp_path / "simpleseg_model.json").write_text(json.dumps({"target_style": "released"}))
    assert target_style(SFTRecipe(model={"model": str(tmp_path)})) == "released"
    assert target_style(SFTRecipe(model={"model": str(tmp_path / "none")})) == "canonical"
    with pytest.raises(ValueError, match="target_style"):
        SFTRecipe(data={"target_style": "opencv"})


def test_a_run_from_a_released_preset_builds_released_targets(record, tmp_path):
    pytest.importorskip("datasets", reason="needs the [train] extra")
    from datasets import load_from_disk

    from simpleseg_agent.training.runner import _build_rows

    path, mask, _ = record
    recipe = SFTRecipe(model={"model": "simpleseg-qwen2.5-vl"},
                       data={"train": str(path), "task_mix": "text2mask=1"}, output_dir=str(tmp_path / "run"))
    _build_rows(path, tmp_path / "run" / "data-sft", "sft", recipe)
    rows = load_from_disk(str(tmp_path / "run" / "data-sft"))
    assert reference_text(mask) in rows[0]["messages"][1]["content"][0]["text"]
