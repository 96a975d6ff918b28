"""The real-UI training set's builder: its apps are never the benchmark's, and a captured source is joined
into ``train.jsonl`` with image paths that resolve from the set's folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from simpleseg_agent.training.records import read_records

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import real_ui_train_sources as train  # noqa: E402


def test_training_apps_are_in_neither_benchmark_split():
    bench_apps = set()
    for split in ("dev", "test"):
        bench_apps |= {r.source for r in read_records(REPO / "benchmarks" / "real-ui" / f"{split}.jsonl")}
    assert len(bench_apps) >= 12  # the files were read
    names = {s.name for s in train.TRAIN_SOURCES}
    assert names.isdisjoint(bench_apps), sorted(names & bench_apps)
    # the desktop screens carry their source's name as the records' source, so the check above covers them too
    for make in (train.gtk3_demo_screens, train.qt_screens, train.tk_screens, train.wx_screens):
        assert {s.app for s in make()} <= names
    assert len({s.toolkit for s in train.TRAIN_SOURCES}) >= 4


@pytest.mark.timeout(120)
def test_one_tk_screen_is_captured_and_joined(tmp_path, desktop, no_strays):
    spec = next(s for s in train.TRAIN_SOURCES if s.name == "tk-stock-widgets")
    one = train.replace(spec, capture=train._desktop(lambda: train.tk_screens()[:1]))
    train.capture_source(tmp_path, one)
    summary = train.join(tmp_path)
    records = list(read_records(tmp_path / "train.jsonl"))
    assert summary["screens"] == 2 and len(records) == summary["queries"] > 5  # one window, two resolutions
    assert all((tmp_path / r.image_path).is_file() for r in records)
    assert {r.source for r in records} == {"tk-stock-widgets"}
    assert {tuple(r.image_wh) for r in records} == {(1280, 800), (1920, 1080)}
    roles = {r.label for r in records}
    assert {"button", "field", "checkbox", "radio"} <= roles, roles
    assert "| tk-stock-widgets | tk |" in (tmp_path / "README.md").read_text()
    assert json.loads((tmp_path / "train.json").read_text())["sources"]["tk-stock-widgets"]["queries"] == len(records)
