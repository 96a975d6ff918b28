"""Evaluation metrics equal hand-computed values on a small set (a named fake backend supplies
answers: the model is not under test here)."""

import json

import pytest
from PIL import Image

from simpleseg_agent.cli import main
from simpleseg_agent.geometry import Region
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import SimpleSeg
from simpleseg_agent.training.evaluate import evaluate, evaluate_records
from simpleseg_agent.training.records import Record, write_records

SQ = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]  # 40x40 px at 100x100


@pytest.fixture()
def split(tmp_path):
    for name in ("a", "b", "c", "d"):
        Image.new("RGB", (100, 100), (90, 90, 90)).save(tmp_path / f"{name}.png")
    recs = [Record(f"{n}.png", (100, 100), [f"object {n}"], Region.from_polygons([SQ]), record_id=n) for n in "abcd"]
    path = tmp_path / "records.jsonl"
    write_records(recs, path)
    return path, recs


ANSWERS = {
    "object a": "[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]",  # exact: I=1600, U=1600
    "object b": "[[[0.25, 0.1], [0.65, 0.1], [0.65, 0.5], [0.25, 0.5]]]",  # shifted 15 px: I=1000, U=2200
    "object c": "I do not see it.",                                     # format error: I=0, U=1600
    "object d": "[[[0.1, 0.1], [0.3, 0.1], [0.3, 0.3], [0.1, 0.3]]]",  # quarter: I=400, U=1600
}


def fake():
    return SimpleSeg(FakeAnswerBackend(lambda req: ANSWERS[req.prompt.split(" of ")[1].split(" in the")[0]]))


def test_metrics_equal_hand_computed_values(split):
    path, recs = split
    r = evaluate_records(fake(), recs, path, batch_size=3, progress=False)
    assert r.n == 4
    assert r.ciou == pytest.approx((1600 + 1000 + 0 + 400) / (1600 + 2200 + 1600 + 1600))
    assert r.giou == pytest.approx((1 + 1000 / 2200 + 0 + 0.25) / 4)
    assert r.rec_acc50 == pytest.approx(0.25)  # only a's box has IoU >= 0.5 (b: 0.45, d: 0.25)
    assert r.click_acc == pytest.approx(0.75)  # the clicks of a, b (x=0.45) and d land inside
    assert r.format_error_rate == pytest.approx(0.25)
    assert [s.format_error for s in r.samples] == [False, False, True, False]


def test_evaluate_writes_json_and_chart(split, tmp_path):
    path, _ = split
    r = evaluate(fake(), path, out_dir=tmp_path / "report", progress=False)
    data = json.loads((tmp_path / "report" / "records.json").read_text())
    assert data["n"] == 4 and data["ciou"] == pytest.approx(r.ciou) and len(data["samples"]) == 4
    chart = Image.open(tmp_path / "report" / "records.png")
    assert chart.size[0] > 100


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    code = main(["eval", "--model", "whatever", "--data", str(tmp_path / "nope.jsonl")])
    assert code == 2 and "not found" in capsys.readouterr().err


def _box(x0, y0, x1, y1):
    return Region.from_polygons([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])


def test_the_report_says_where_each_click_landed(tmp_path):
    # one screen: two buttons and a label; each query's answer lands somewhere else
    Image.new("RGB", (100, 100), (200, 200, 200)).save(tmp_path / "s.png")
    save, cancel, label = _box(0.1, 0.1, 0.3, 0.2), _box(0.6, 0.1, 0.8, 0.2), _box(0.1, 0.6, 0.4, 0.7)
    recs = [Record("s.png", (100, 100), [q], reg, label=lab, record_id=i) for i, (q, reg, lab) in enumerate([
        ("the Save button", save, "button"), ("the Cancel button", cancel, "button"),
        ("the label", label, "text"), ("the Help button", _box(0.6, 0.8, 0.8, 0.9), "button"),
        ("the OK button", _box(0.4, 0.4, 0.5, 0.5), "button")])]
    answers = {
        "the Save button": "[[[0.1, 0.1], [0.3, 0.1], [0.3, 0.2], [0.1, 0.2]]]",     # on Save: a hit
        "the Cancel button": "[[[0.1, 0.1], [0.3, 0.1], [0.3, 0.2], [0.1, 0.2]]]",   # on Save: another button
        "the label": "[[[0.6, 0.1], [0.8, 0.1], [0.8, 0.2], [0.6, 0.2]]]",           # on Cancel: another kind
        "the Help button": "[[[0.85, 0.4], [0.95, 0.4], [0.95, 0.5], [0.85, 0.5]]]", # on empty space
        "the OK button": "nothing here",                                            # no answer, no click
    }
    path = tmp_path / "records.jsonl"
    write_records(recs, path)
    seg = SimpleSeg(FakeAnswerBackend(lambda req: answers[req.prompt.split(" of ")[1].split(" in the")[0]]))
    r = evaluate(seg, path, out_dir=tmp_path / "out", progress=False)
    assert [s.click_on for s in r.samples] == ["target", "same-kind", "other", "nothing", ""]
    assert r.click_on == {"target": 1, "same-kind": 1, "other": 1, "nothing": 1, "no click": 1}
    assert r.click_acc == pytest.approx(0.2)
    assert json.loads((tmp_path / "out" / "records.json").read_text())["click_on"]["same-kind"] == 1
    assert "clicks landed on: target 1, same-kind 1, other 1, nothing 1, no click 1" in r.table()
