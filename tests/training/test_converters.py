"""Converters on small fixture files written by the tests: COCO/LVIS, RefCOCO, mask folders, GUI elements."""

from __future__ import annotations

import json
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from simpleseg_agent.geometry import mask_iou, region_to_mask, signed_area2
from simpleseg_agent.training.converters import (
    DataError,
    convert_coco,
    convert_gui_elements,
    convert_mask_folder,
    convert_refcoco,
    element_expressions,
    role_word,
)
from simpleseg_agent.training.records import read_records, resolve_image, write_records


def _png(path: Path, w: int, h: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(path)
    return path


def _rle(mask: np.ndarray, compressed: bool = True) -> dict:
    if compressed:
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}
    flat = mask.astype(np.uint8).ravel(order="F")  # column-major, like COCO's uncompressed RLE
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            current, run = v, 0
        run += 1
    counts.append(run)
    return {"size": list(mask.shape), "counts": counts}


def _person_mask() -> np.ndarray:
    m = np.zeros((80, 80), bool)
    m[10:50, 20:40] = True
    return m


def _ring_mask() -> np.ndarray:
    m = np.zeros((80, 80), bool)
    m[40:75, 45:78] = True
    m[50:65, 55:68] = False
    return m


def _assert_canonical(region) -> None:
    for ring in region.polygons:
        assert signed_area2(ring) > 0  # clockwise on screen, y down
        top = np.lexsort((ring[:, 0], ring[:, 1]))[0]
        assert top == 0  # starts at the top-most, then left-most vertex
        assert ring.min() >= 0 and ring.max() <= 1


@pytest.fixture()
def coco(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    _png(images / "a.png", 100, 50)
    _png(images / "b.png", 80, 80)
    data = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 100, "height": 50},
            {"id": 2, "file_name": "b.png", "width": 80, "height": 80},
            {"id": 3, "file_name": "missing.png", "width": 10, "height": 10},
            {"id": 4, "file_name": "a.png", "width": 60, "height": 50},  # wrong declared size
            {"id": 5, "file_name": "a.png", "width": 200, "height": 100},  # rescaled copy
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}],
        "annotations": [
            # counter-clockwise polygon starting bottom-right: must come out canonical
            {"id": 10, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[60, 40, 60, 10, 10, 10, 10, 40]]},
            {"id": 11, "image_id": 2, "category_id": 2, "iscrowd": 0, "segmentation": _rle(_person_mask())},
            {"id": 12, "image_id": 2, "category_id": 2, "iscrowd": 1, "segmentation": _rle(_ring_mask(), compressed=False)},
            {"id": 13, "image_id": 3, "category_id": 1, "iscrowd": 0, "segmentation": [[1, 1, 5, 1, 5, 5]]},
            {"id": 14, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[10, 10, 20, 20, 30, 30]]},
            {"id": 15, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[200, 200, 300, 200, 300, 300]]},
            {"id": 16, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[80, 20, 120, 20, 120, 40, 80, 40]]},
            {"id": 17, "image_id": 1, "category_id": 99, "iscrowd": 0, "segmentation": [[1, 1, 5, 1, 5, 5]]},
            {"id": 18, "image_id": 4, "category_id": 1, "iscrowd": 0, "segmentation": [[1, 1, 5, 1, 5, 5]]},
            {"id": 19, "image_id": 5, "category_id": 1, "iscrowd": 0, "segmentation": [[20, 20, 120, 20, 120, 80, 20, 80]]},
            {"id": 20, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[1, 2, 3]]},
            {"id": 21, "image_id": 404, "category_id": 1, "iscrowd": 0, "segmentation": [[1, 1, 5, 1, 5, 5]]},
            {"id": 22, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": []},
        ],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(data))
    return path


def test_coco_polygons_rle_and_hostile_annotations(coco: Path) -> None:
    conv = convert_coco(coco, coco.parent / "images")
    records = {r.meta["ann_id"]: r for r in conv}
    assert sorted(records) == [10, 11, 16, 19]
    car = records[10]
    assert car.expressions == ["car"] and car.label == "car" and car.source == "coco"
    assert car.image_wh == (100, 50)
    # exact polygon, normalized, canonical: clockwise on screen from the top-left vertex
    assert car.region.polygons[0].tolist() == [[0.1, 0.2], [0.6, 0.2], [0.6, 0.8], [0.1, 0.8]]
    assert car.meta["ambiguous"] is True  # several cars in image 1
    person = records[11]
    assert mask_iou(region_to_mask(person.region, (80, 80)), _person_mask()) == 1.0
    assert person.meta["ambiguous"] is True  # the crowd region is a person too
    clipped = records[16]
    assert clipped.xyxy_norm.tolist() == [0.8, 0.4, 1.0, 0.8]
    rescaled = records[19]  # declared 200x100 for a 100x50 image: same frame, normalized by the declared size
    assert rescaled.xyxy_norm.tolist() == [0.1, 0.2, 0.6, 0.8]
    for r in records.values():
        _assert_canonical(r.region)
    s = conv.stats
    assert s.seen == 13 and s.written == 4
    assert s.filtered == {"crowd": 1}
    assert dict(s.skipped) == {
        "missing_image": 1, "zero_area": 1, "out_of_image": 1, "unknown_category": 1, "size_mismatch": 1,
        "degenerate_polygon": 1, "unknown_image": 1, "no_segmentation": 1,
    }
    assert s.notes["clipped"] == 1 and s.notes["size_mismatch_rescaled"] == 1
    assert "4 records from 13 annotations" in s.summary()
    json.dumps(s.to_json())


def test_coco_crowd_rle_uncompressed_with_holes(coco: Path) -> None:
    recs = [r for r in convert_coco(coco, coco.parent / "images", include_crowd=True, holes=True) if r.meta["ann_id"] == 12]
    (crowd,) = recs
    assert crowd.meta["iscrowd"] == 1 and crowd.region.has_holes
    assert mask_iou(region_to_mask(crowd.region, (80, 80)), _ring_mask()) == 1.0
    (no_holes,) = [r for r in convert_coco(coco, coco.parent / "images", include_crowd=True) if r.meta["ann_id"] == 12]
    assert not no_holes.region.has_holes


def test_coco_token_budget_simplifies_polygons(tmp_path: Path) -> None:
    _png(tmp_path / "c.png", 200, 200)
    t = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    circle = np.stack([100 + 80 * np.cos(t), 100 + 80 * np.sin(t)], axis=1).ravel().tolist()
    data = {"images": [{"id": 1, "file_name": "c.png", "width": 200, "height": 200}],
            "categories": [{"id": 1, "name": "plate"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [circle]}]}
    (tmp_path / "c.json").write_text(json.dumps(data))
    (exact,) = convert_coco(tmp_path / "c.json", tmp_path)
    (budget,) = convert_coco(tmp_path / "c.json", tmp_path, token_budget=200)
    assert exact.region.n_vertices == 240
    assert 6 <= budget.region.n_vertices < 40
    m = region_to_mask(exact.region, (200, 200))
    assert mask_iou(region_to_mask(budget.region, (200, 200)), m) > 0.9


def test_lvis_style_names_and_coco_url(tmp_path: Path) -> None:
    _png(tmp_path / "val2017" / "000000000139.jpg", 64, 48)
    data = {
        "images": [{"id": 139, "coco_url": "http://images.cocodataset.org/val2017/000000000139.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 7, "name": "baseball_bat", "synonyms": ["baseball_bat"]}],
        "annotations": [{"id": 1, "image_id": 139, "category_id": 7, "segmentation": [[8, 8, 40, 8, 40, 30]], "bbox": [8, 8, 32, 22]}],
    }
    (tmp_path / "lvis.json").write_text(json.dumps(data))
    (r,) = convert_lvis_like = list(convert_coco(tmp_path / "lvis.json", tmp_path, source="lvis"))
    assert r.expressions == ["baseball bat"] and r.source == "lvis" and r.record_id == "lvis:1"
    assert Path(r.image_path).name == "000000000139.jpg" and len(convert_lvis_like) == 1


@pytest.mark.parametrize(
    "content, match",
    [
        ("{not json", r"not valid JSON: .* line 1"),
        ("[1, 2]", "JSON object with 'images'"),
        ('{"images": [], "annotations": {}}', "list 'annotations'"),
        ('{"images": [{"file_name": "a.png"}], "annotations": [], "categories": []}', r"images\[0\] must be an object with an 'id'"),
        ("", "not valid JSON"),
    ],
)
def test_coco_malformed_files_raise_clear_errors(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(DataError, match=match):
        convert_coco(path, tmp_path)


def test_coco_missing_file_and_folder(tmp_path: Path, coco: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        convert_coco(tmp_path / "nope.json", tmp_path)
    with pytest.raises(DataError, match="existing folder"):
        convert_coco(coco, tmp_path / "no-images")
    with pytest.raises(DataError, match="token_budget"):
        convert_coco(coco, coco.parent / "images", token_budget=0)


def test_records_round_trip_with_relative_paths(coco: Path, tmp_path: Path) -> None:
    out = tmp_path / "data" / "records.jsonl"
    conv = convert_coco(coco, coco.parent / "images", relative_to=out.parent)
    assert write_records(conv, out) == 4
    back = list(read_records(out))
    assert all(not Path(r.image_path).is_absolute() for r in back)
    assert all(resolve_image(r, out).is_file() for r in back)
    again = [r.to_json() for r in convert_coco(coco, coco.parent / "images", relative_to=out.parent)]
    assert [json.loads(json.dumps(r.to_json())) for r in back] == json.loads(json.dumps(again))  # deterministic


# --- RefCOCO -----------------------------------------------------------------------------------


@pytest.fixture()
def refcoco(tmp_path: Path) -> tuple[Path, Path, Path]:
    images = tmp_path / "train2014"
    _png(images / "COCO_train2014_000000000001.jpg", 100, 50)
    instances = {
        "images": [{"id": 1, "file_name": "COCO_train2014_000000000001.jpg", "width": 100, "height": 50}],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [
            {"id": 100, "image_id": 1, "category_id": 1, "segmentation": [[10, 10, 40, 10, 40, 45, 10, 45]], "iscrowd": 0},
            {"id": 101, "image_id": 1, "category_id": 1, "segmentation": [[60, 10, 90, 10, 90, 45, 60, 45]], "iscrowd": 0},
        ],
    }
    refs = [
        {"ref_id": 0, "ann_id": 100, "image_id": 1, "category_id": 1, "split": "train", "file_name": "COCO_train2014_000000000001_100.jpg",
         "sent_ids": [0, 1], "sentences": [{"sent": "man on left", "raw": "Man on left.", "sent_id": 0, "tokens": ["man", "on", "left"]},
                                           {"sent": "left guy", "raw": "left guy", "sent_id": 1, "tokens": ["left", "guy"]}]},
        {"ref_id": 1, "ann_id": 101, "image_id": 1, "category_id": 1, "split": "val", "file_name": "x.jpg",
         "sent_ids": [2], "sentences": [{"sent": "right person", "raw": "right person", "sent_id": 2}]},
        {"ref_id": 2, "ann_id": 999, "image_id": 1, "category_id": 1, "split": "train", "sentences": [{"sent": "ghost"}]},
        {"ref_id": 3, "ann_id": 101, "image_id": 1, "category_id": 1, "split": "train", "sentences": []},
    ]
    inst_path = tmp_path / "instances.json"
    inst_path.write_text(json.dumps(instances))
    refs_path = tmp_path / "refs(unc).p"
    refs_path.write_bytes(pickle.dumps(refs, protocol=2))
    return refs_path, inst_path, images


def test_refcoco_pickle_one_record_per_ref(refcoco) -> None:
    refs_path, inst, images = refcoco
    conv = convert_refcoco(refs_path, inst, images)
    records = list(conv)
    assert [r.record_id for r in records] == ["refcoco:0", "refcoco:1"]
    assert records[0].expressions == ["man on left", "left guy"]
    assert records[0].xyxy_norm.tolist() == [0.1, 0.2, 0.4, 0.9]
    assert records[0].meta["split"] == "train" and records[0].meta["ambiguous"] is False
    assert Path(records[0].image_path).name == "COCO_train2014_000000000001.jpg"  # the instances' file, not the ref's
    assert dict(conv.stats.skipped) == {"unknown_annotation": 1, "no_expression": 1}


def test_refcoco_json_refs_and_split(refcoco, tmp_path: Path) -> None:
    refs_path, inst, images = refcoco
    refs = pickle.loads(refs_path.read_bytes())
    json_refs = tmp_path / "refs.json"
    json_refs.write_text(json.dumps({"refs": refs}))
    conv = convert_refcoco(json_refs, inst, images, split="val", source="refcoco+")
    (r,) = list(conv)
    assert r.record_id == "refcoco+:1" and r.expressions == ["right person"]
    assert conv.stats.filtered == {"other_split": 3}


def test_refcoco_rejects_code_in_pickles_and_bad_refs(refcoco, tmp_path: Path) -> None:
    _, inst, images = refcoco
    evil = tmp_path / "evil.p"
    evil.write_bytes(pickle.dumps([OrderedDict(ann_id=1)]))
    with pytest.raises(DataError, match="only plain lists and dicts"):
        convert_refcoco(evil, inst, images)
    bad = tmp_path / "bad.json"
    bad.write_text('[{"ref_id": 1}]')
    with pytest.raises(DataError, match="entry 0 must be an object with 'ann_id'"):
        convert_refcoco(bad, inst, images)
    with pytest.raises(DataError, match="refs file not found"):
        convert_refcoco(tmp_path / "none.p", inst, images)


# --- mask folders ------------------------------------------------------------------------------


def _mask_png(path: Path, mask: np.ndarray, mode: str = "L") -> None:
    arr = mask.astype(np.uint8) * 255
    img = Image.fromarray(arr)
    if mode == "P":
        img = Image.fromarray(mask.astype(np.uint8), mode="L").convert("P")
    elif mode == "RGBA":
        rgba = np.zeros(mask.shape + (4,), np.uint8)
        rgba[..., 0] = 255
        rgba[..., 3] = arr
        img = Image.fromarray(rgba)
    img.save(path)


def test_mask_folder_by_filename(tmp_path: Path) -> None:
    images, masks = tmp_path / "images", tmp_path / "masks"
    masks.mkdir()
    _png(images / "street.jpg", 40, 20)
    m1 = np.zeros((20, 40), bool)
    m1[2:10, 2:12] = True
    m2 = np.zeros((20, 40), bool)
    m2[10:18, 20:38] = True
    _mask_png(masks / "street__red_car.png", m1)
    _mask_png(masks / "street__red_car__2.png", m2, mode="P")
    _mask_png(masks / "street__lamp.png", m2, mode="RGBA")
    _mask_png(masks / "street__nothing.png", np.zeros((20, 40), bool))
    _mask_png(masks / "street__squashed.png", np.ones((20, 20), bool))
    _mask_png(masks / "nolabel.png", m1)
    _mask_png(masks / "ghost__cat.png", m1)
    (masks / "street__broken.png").write_bytes(b"not a png")
    conv = convert_mask_folder(images, masks)
    records = {r.meta["mask"]: r for r in conv}
    assert sorted(records) == ["street__lamp.png", "street__red_car.png", "street__red_car__2.png"]
    car = records["street__red_car.png"]
    assert car.expressions == ["red car"] and car.meta["ambiguous"] is True and car.image_wh == (40, 20)
    assert mask_iou(region_to_mask(car.region, (40, 20)), m1) == 1.0
    assert records["street__red_car__2.png"].meta["instance"] == 2
    assert mask_iou(region_to_mask(records["street__lamp.png"].region, (40, 20)), m2) == 1.0
    assert records["street__lamp.png"].meta["ambiguous"] is False
    assert dict(conv.stats.skipped) == {
        "empty_mask": 1, "size_mismatch": 1, "bad_mask_name": 1, "missing_image": 1, "unreadable_mask": 1,
    }


def test_mask_folder_by_sidecar(tmp_path: Path) -> None:
    images, masks = tmp_path / "images", tmp_path / "masks"
    masks.mkdir()
    _png(images / "room.png", 30, 30)
    m = np.zeros((30, 30), bool)
    m[5:20, 5:25] = True
    _mask_png(masks / "room_sofa.png", m)
    (masks / "room.json").write_text(json.dumps({"objects": [
        {"mask": "room_sofa.png", "expressions": ["the grey sofa", "sofa by the wall"], "label": "sofa"},
        {"mask": "room_sofa.png", "label": "couch"},
        {"mask": "missing.png", "expressions": ["x"]},
        {"expressions": ["no mask"]},
        {"mask": "room_sofa.png"},
    ]}))
    (masks / "broken.json").write_text("{oops")
    (masks / "lost.json").write_text(json.dumps({"image": "lost.png", "objects": [{"mask": "room_sofa.png", "expressions": ["a"]}]}))
    conv = convert_mask_folder(images, masks, expressions_from="sidecar")
    records = list(conv)
    assert [r.expressions for r in records] == [["the grey sofa", "sofa by the wall"], ["couch"]]
    assert records[0].label == "sofa"
    assert dict(conv.stats.skipped) == {
        "missing_mask": 1, "malformed_annotation": 1, "no_expression": 1, "malformed_sidecar": 1, "missing_image": 1,
    }
    with pytest.raises(DataError, match="expressions_from"):
        convert_mask_folder(images, masks, expressions_from="xml")


# --- GUI elements ------------------------------------------------------------------------------


def test_gui_elements(tmp_path: Path) -> None:
    _png(tmp_path / "shots" / "login.png", 400, 200)  # HiDPI: 200x100 CSS px at ratio 2
    shots = {"screenshots": [
        {"image": "login.png", "device_pixel_ratio": 2, "width": 200, "height": 100, "elements": [
            {"bbox": [10, 10, 60, 30], "role": "button", "text": "Submit"},
            {"polygon": [[100, 10], [150, 10], [150, 30], [100, 30]], "role": "AXTextField", "name": "Email"},
            {"bbox": [10, 50, 60, 70], "role": "link", "text": "Help", "name": "Open the help page"},
            {"bbox": [70, 50, 120, 70], "role": "link", "text": "Help"},
            {"bbox": [10, 80, 10, 90], "role": "button", "text": "Zero"},
            {"bbox": [300, 300, 400, 400], "role": "button", "text": "Offscreen"},
            {"bbox": [180, 80, 260, 120], "role": "button", "text": "Half"},
            {"bbox": [20, 20, 40, 40], "role": "button"},
            {"bbox": [20, 20, 40, 40], "role": "button", "text": "Hidden", "visible": False},
            {"bbox": "nope", "role": "button", "text": "Bad"},
            "not an element",
        ]},
        {"image": "missing.png", "elements": [{"bbox": [1, 1, 5, 5], "text": "x"}]},
    ]}
    path = tmp_path / "gui.json"
    path.write_text(json.dumps(shots))
    conv = convert_gui_elements(path, tmp_path / "shots")
    records = list(conv)
    by_text = {r.meta["text"] or r.meta["name"]: r for r in records}
    assert sorted(by_text) == ["Email", "Half", "Help", "Submit"]
    submit = by_text["Submit"]
    assert submit.expressions == ["the Submit button", "Submit"] and submit.label == "button"
    assert submit.xyxy_norm.tolist() == [0.05, 0.1, 0.3, 0.3]
    assert by_text["Email"].expressions == ["the Email text field", "Email"]
    helps = [r for r in records if r.meta["text"] == "Help"]
    assert len(helps) == 2 and all(r.meta["ambiguous"] for r in helps)
    assert "the Open the help page link" in helps[0].expressions
    assert by_text["Half"].xyxy_norm.tolist() == [0.9, 0.8, 1.0, 1.0]
    for r in records:
        _assert_canonical(r.region)
    assert dict(conv.stats.skipped) == {
        "zero_area": 1, "out_of_image": 1, "no_expression": 1, "malformed_annotation": 2, "missing_image": 1,
    }
    assert conv.stats.filtered == {"invisible": 1} and conv.stats.notes["clipped"] == 1


@pytest.mark.parametrize(
    "content, match",
    [
        ('{"elements": "x", "image": "a.png"}', "screenshot 0 must be"),
        ('"just a string"', "expected a list of screenshots"),
        ('[{"image": 3, "elements": []}]', "screenshot 0 must be"),
        ("[{", "not valid JSON"),
    ],
)
def test_gui_malformed_files(tmp_path: Path, content: str, match: str) -> None:
    (tmp_path / "g.json").write_text(content)
    with pytest.raises(DataError, match=match):
        convert_gui_elements(tmp_path / "g.json", tmp_path)


@pytest.mark.parametrize(
    "role, word",
    [("button", "button"), ("AXButton", "button"), ("push button", "button"), ("combobox", "dropdown"),
     ("MenuItem", "menu item"), ("img", "image"), ("custom-widget", "custom widget"), ("", ""), (None, "")],
)
def test_role_words(role, word) -> None:
    assert role_word(role) == word


def test_element_expressions_edge_cases() -> None:
    assert element_expressions({"role": "button", "text": "OK button"}) == ["OK button"]
    assert element_expressions({"text": "Only text"}) == ["Only text"]
    assert element_expressions({"role": "text", "text": "x" * 200}) == []
    assert element_expressions({"role": "link", "text": "  Read   more "}) == ["the Read more link", "Read more"]


# --- command line ------------------------------------------------------------------------------


def _run(argv: list[str]) -> int:
    """``simpleseg data ...`` through the real command line."""
    from simpleseg_agent.cli import main

    return main(["data", *argv])


def test_cli_convert_coco_writes_records_and_stats(coco: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "data" / "coco.jsonl"
    rc = _run(["convert", "coco", str(coco), "--images", str(coco.parent / "images"), "--out", str(out),
               "--holes", "--include-crowd", "--epsilon-frac", "0"])
    assert rc == 0
    captured = capsys.readouterr()
    assert f"5 records -> {out}" in captured.out
    assert "coco: 5 records from 13 annotations" in captured.err and "convert coco" in captured.err  # the progress bar
    records = list(read_records(out))
    assert len(records) == 5 and all(resolve_image(r, out).is_file() for r in records)
    assert any(r.region.has_holes for r in records)
    stats = json.loads((tmp_path / "data" / "coco.stats.json").read_text())
    assert stats["written"] == 5 and stats["skipped"]["missing_image"] == 1


def test_cli_convert_other_formats(refcoco, tmp_path: Path, capsys) -> None:
    refs_path, inst, images = refcoco
    out = tmp_path / "ref.jsonl"
    assert _run(["convert", "refcoco", str(refs_path), str(inst), "--images", str(images), "--split", "train",
                 "--out", str(out), "--quiet", "--token-budget", "200"]) == 0
    assert [r.record_id for r in read_records(out)] == ["refcoco:0"]
    shots = tmp_path / "shots"
    _png(shots / "s.png", 50, 50)
    (tmp_path / "gui.json").write_text(json.dumps([{"image": "s.png", "elements": [{"bbox": [5, 5, 30, 20], "role": "link", "text": "Home"}]}]))
    assert _run(["convert", "gui", str(tmp_path / "gui.json"), "--images", str(shots), "--out", str(tmp_path / "gui.jsonl"), "--quiet"]) == 0
    (r,) = read_records(tmp_path / "gui.jsonl")
    assert r.expressions == ["the Home link", "Home"] and r.image_path == "shots/s.png"
    masks = tmp_path / "m"
    masks.mkdir()
    _mask_png(masks / "s__disc.png", np.pad(np.ones((10, 10), bool), 20))
    assert _run(["convert", "masks", "--images", str(shots), "--masks", str(masks), "--out", str(tmp_path / "m.jsonl"), "--quiet"]) == 0
    assert [r.expressions for r in read_records(tmp_path / "m.jsonl")] == [["disc"]]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["convert", "coco", "{missing}", "--images", "{dir}"], "COCO annotation file not found"),
        (["convert", "lvis", "{bad}", "--images", "{dir}"], "not valid JSON"),
        (["convert", "coco", "{empty}", "--images", "{dir}"], "no record written"),
        (["convert", "masks", "--images", "{dir}", "--masks", "{dir}/nope"], "masks_dir must be an existing folder"),
        (["convert", "coco", "{empty}", "--images", "{dir}", "--epsilon-frac", "-1"], "epsilon_frac"),
    ],
)
def test_cli_convert_errors_exit_2(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "empty.json").write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    names = {"missing": tmp_path / "none.json", "bad": tmp_path / "bad.json", "empty": tmp_path / "empty.json", "dir": tmp_path}
    argv = [a.format(**names) for a in argv] + ["--out", str(tmp_path / "out.jsonl"), "--quiet"]
    assert _run(argv) == 2
    assert message in capsys.readouterr().err
