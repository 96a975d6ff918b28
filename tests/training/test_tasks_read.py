"""The reading task (point2text): the click target of a labelled element -> the text drawn inside it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from simpleseg_agent.grammar import parse_answer
from simpleseg_agent.training.converters import DataError
from simpleseg_agent.training.records import read_records
from simpleseg_agent.training.synth import GuiScreenGenerator, GuiSynthConfig
from simpleseg_agent.training.tasks import (
    READ_TEMPLATES,
    READABLE_LABELS,
    BuildOptions,
    BuildStats,
    TaskMix,
    build_grpo_dataset,
    build_sft_dataset,
    iter_task_rows,
)

datasets = pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def screens(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("read") / "gui"
    GuiScreenGenerator(GuiSynthConfig(difficulty="easy")).generate(6, out, seed=5)
    return out / "records.jsonl"


def test_reading_rows_answer_the_text_drawn_at_the_click_target(screens: Path) -> None:
    records = {r.record_id: r for r in read_records(screens)}
    stats = BuildStats("sft")
    rows = list(iter_task_rows(screens, mix="point2text=1,text2point=1", options=BuildOptions(style="compact"),
                               stats=stats))
    assert len(rows) == len(records)  # every record is usable: icons fall back to text2point
    kinds = Counter(r["task"] for r in rows)
    assert kinds["point2text"] > 0 and kinds["text2point"] > 0
    for row in rows:
        record = records[row["record_id"]]
        prompt, answer = row["messages"][0]["content"][1]["text"], row["messages"][1]["content"][0]["text"]
        readable = record.label in READABLE_LABELS and record.meta["text"]
        if row["task"] == "point2text":
            assert readable, (record.label, record.meta["text"])
            assert json.loads(answer) == record.meta["text"]
            # the question names the record's click target (queries are written [0.123, 0.456] in every style)
            (template,) = [t for t in READ_TEMPLATES if prompt.startswith(t.split("{q}")[0])]
            point = prompt[len(template.split("{q}")[0]):len(prompt) - len(template.split("{q}")[1])]
            xy = [float(v) for v in point.strip("[]").split(",")]
            assert abs(xy[0] - record.point_norm[0]) <= 6e-4 and abs(xy[1] - record.point_norm[1]) <= 6e-4
        else:
            parse_answer(answer, kind="point")


def test_a_reading_only_mix_skips_what_has_no_text_and_says_why(screens: Path, tmp_path: Path) -> None:
    result = build_sft_dataset(screens, tmp_path / "sft", mix="point2text=1", seed=0, turns_per_row=4)
    stats = json.loads((result.out_dir / "stats.json").read_text())
    readable = sum(1 for r in read_records(screens) if r.label in READABLE_LABELS and r.meta["text"])
    assert stats["rows_per_kind"]["point2text"] == readable < stats["records_read"]
    assert stats["skipped"]["nothing_to_read"] == stats["records_read"] - readable
    ds = result.load()  # multi-turn rows: every assistant turn is a quoted string
    answers = [m["content"][0]["text"] for row in ds for m in row["messages"] if m["role"] == "assistant"]
    assert len(answers) == readable and all(isinstance(json.loads(a), str) for a in answers)


def test_reading_is_refused_in_grpo_mixes(screens: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="point2text .* SFT task"):
        build_grpo_dataset(screens, tmp_path / "grpo", mix="text2mask=1,point2text=0.5")
    assert TaskMix.parse("point2text=1").to_string() == "point2text=1"
