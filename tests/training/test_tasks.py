"""The unified-task builder: mix, TRL formats (checked with TRL itself), determinism, bad records, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.geometry import Part, Region
from simpleseg_agent.grammar import parse_answer
from simpleseg_agent.prompts import PROMPT_TEMPLATES
from simpleseg_agent.training.converters import DataError
from simpleseg_agent.training.records import Record, write_records
from simpleseg_agent.training.tasks import (
    TASK_KINDS,
    TASK_SPEC,
    BuildOptions,
    BuildStats,
    TaskMix,
    build_grpo_dataset,
    build_sft_dataset,
    dataset_features,
    iter_task_rows,
    stream_task_dataset,
)

datasets = pytest.importorskip("datasets")


def _square(x: float, y: float, s: float = 0.2) -> Region:
    return Region.from_polygons([[[x, y], [x + s, y], [x + s, y + s], [x, y + s]]])


def _records(n: int, *, ambiguous_every: int = 0) -> list[Record]:
    out = []
    for i in range(n):
        image, wh = ("a.png", (100, 50)) if i % 2 == 0 else ("b.png", (60, 60))
        meta = {"ambiguous": bool(ambiguous_every and i % ambiguous_every == 0)}
        region = _square(0.05 + 0.01 * (i % 30), 0.1 + 0.01 * (i % 20))
        out.append(Record(image, wh, [f"the thing {i}", f"object number {i}"], region, label="thing", source="test",
                          record_id=f"t:{i}", meta=meta))
    return out


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    """A folder with two images and ``records.jsonl`` of 40 good records (image paths relative)."""
    Image.fromarray(np.full((50, 100, 3), 200, np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.full((60, 60, 3), 50, np.uint8)).save(tmp_path / "b.png")
    write_records(_records(40), tmp_path / "records.jsonl")
    return tmp_path / "records.jsonl"


def _bad_records_file(data: Path) -> Path:
    good = _records(4)
    bad = [
        Record("missing.png", (100, 50), ["ghost"], _square(0.1, 0.1), record_id="bad:missing"),
        Record("a.png", (100, 100), ["squashed"], _square(0.1, 0.1), record_id="bad:aspect"),
        Record("a.png", (100, 50), ["outside"], Region.from_polygons([[[0.5, 0.5], [1.5, 0.5], [1.5, 0.9]]]), record_id="bad:out"),
        Record("a.png", (100, 50), ["flat"], Region.from_polygons([[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]]), record_id="bad:flat"),
        Record("a.png", (100, 50), ["nothing"], Region.empty(), record_id="bad:empty"),
        Record("a.png", (200, 100), ["rescaled"], _square(0.3, 0.3), record_id="ok:rescaled"),
    ]
    path = data.parent / "mixed.jsonl"
    write_records(good + bad, path)
    with path.open("a") as f:
        f.write("{not json\n")
        f.write(json.dumps({"image_path": "a.png", "image_wh": [1, 1], "expressions": [], "parts": []}) + "\n")
    return path


# --- formats -----------------------------------------------------------------------------------


def _check_answer(kind: str, answer: str, record: Record) -> None:
    answer_kind = TASK_SPEC[kind][1]
    parsed = parse_answer(answer, kind={"mask": "polygons", "box": "box", "point": "point"}[answer_kind])
    if answer_kind == "mask":
        np.testing.assert_allclose(parsed.polygons_xy_norm[0], record.region.polygons[0], atol=6e-4)
    elif answer_kind == "box":
        np.testing.assert_allclose(parsed.xyxy_norm, record.xyxy_norm, atol=6e-4)
    else:
        np.testing.assert_allclose(parsed.xy_norm, record.point_norm, atol=6e-4)


def _prompt_matches(kind: str, prompt: str, record: Record) -> bool:
    query_kind, answer_kind = TASK_SPEC[kind]
    templates = PROMPT_TEMPLATES[(query_kind, answer_kind)]
    if query_kind == "text":
        return any(t.format(q=e) == prompt for t in templates for e in record.expressions)
    return any(prompt.startswith(t.split("{q}")[0]) for t in templates)


def test_sft_dataset_has_the_trl_vlm_columns(data: Path) -> None:
    result = build_sft_dataset(data, data.parent / "sft", seed=0)
    ds = datasets.load_from_disk(str(result.out_dir))
    assert ds.features == dataset_features("sft")
    assert isinstance(ds.features["images"].feature, datasets.Image)
    assert len(ds) == result.num_rows == 40
    by_id = {r.record_id: r for r in _records(40)}
    for row in ds:
        record = by_id[row["record_id"]]
        (image,) = row["images"]
        assert isinstance(image, Image.Image) and image.size == record.image_wh
        user, assistant = row["messages"]
        assert user["role"] == "user" and assistant["role"] == "assistant"
        assert [c["type"] for c in user["content"]] == ["image", "text"]
        assert _prompt_matches(row["task"], user["content"][1]["text"], record)
        assert [c["type"] for c in assistant["content"]] == ["text"]
        _check_answer(row["task"], assistant["content"][0]["text"], record)
    stats = json.loads((result.out_dir / "stats.json").read_text())
    assert stats["rows"] == 40 and stats["skipped"] == {} and sum(stats["rows_per_kind"].values()) == 40


def test_grpo_dataset_has_prompt_image_and_ground_truth(data: Path) -> None:
    result = build_grpo_dataset(data, data.parent / "grpo", seed=0, mix="text2mask=1,point2box=1")
    ds = result.load()
    assert set(ds.column_names) == {"prompt", "image", "task", "record_id", "gt_polygons", "gt_holes", "gt_xyxy",
                                    "gt_point", "image_wh"}
    assert isinstance(ds.features["image"], datasets.Image)
    by_id = {r.record_id: r for r in _records(40)}
    assert Counter(ds["task"]) == {"text2mask": 20, "point2box": 20}
    for row in ds:
        record = by_id[row["record_id"]]
        (user,) = row["prompt"]
        assert user["role"] == "user" and [c["type"] for c in user["content"]] == ["image", "text"]
        assert _prompt_matches(row["task"], user["content"][1]["text"], record)
        assert row["image"].size == record.image_wh == tuple(row["image_wh"])
        np.testing.assert_allclose(row["gt_polygons"][0], record.region.polygons[0], atol=1e-6)
        np.testing.assert_allclose(row["gt_xyxy"], record.xyxy_norm, atol=1e-6)
        np.testing.assert_allclose(row["gt_point"], record.point_norm, atol=1e-6)
        assert row["gt_holes"] == [[]]


def test_holes_reach_the_grpo_ground_truth_but_not_the_answer(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "h.png")
    outer = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
    hole = [[0.4, 0.4], [0.4, 0.6], [0.6, 0.6], [0.6, 0.4]]
    rec = Record("h.png", (40, 40), ["the frame"], Region([Part(outer, (hole,))]).canonical(), record_id="h")
    (row,) = iter_task_rows([rec], format="grpo", mix="text2mask=1", records_file=tmp_path / "r.jsonl")
    assert len(row["gt_holes"][0]) == 1 and len(row["gt_polygons"]) == 1
    (sft,) = iter_task_rows([rec], format="sft", mix="box2mask=1", records_file=tmp_path / "r.jsonl")
    assert parse_answer(sft["messages"][1]["content"][0]["text"]).num_points == 4  # outer ring only


# --- mix, determinism, bad records ---------------------------------------------------------------


@pytest.mark.parametrize(
    "mix, n, per_record",
    [
        ("text2mask=0.5,text2box=0.25,point2mask=0.25", 40, 1),
        ("text2mask=1,text2box=1,text2point=1,point2mask=1,box2mask=1,point2box=1", 40, 3),
        ("box2mask=1", 40, 2),
        ("text2mask=0.9,point2box=0.1", 40, 1),
    ],
)
def test_counts_per_kind_follow_the_mix(data: Path, mix: str, n: int, per_record: int) -> None:
    stats = BuildStats("sft")
    rows = list(iter_task_rows(data, mix=mix, options=BuildOptions(seed=3, samples_per_record=per_record), stats=stats))
    total = n * per_record
    assert len(rows) == stats.rows == total
    counts = Counter(r["task"] for r in rows)
    for kind, weight in TaskMix.parse(mix).weights.items():
        assert abs(counts[kind] - weight * total) <= 1, (kind, counts)
    assert stats.rows_per_kind == counts


def test_same_seed_same_rows_other_seed_other_rows(data: Path) -> None:
    a = build_sft_dataset(data, data.parent / "a", seed=7).load()
    b = build_sft_dataset(data, data.parent / "b", seed=7).load()
    c = build_sft_dataset(data, data.parent / "c", seed=8).load()
    assert a.data.table.equals(b.data.table)  # same rows, same order, same image bytes
    assert a["messages"] != c["messages"]
    assert a["record_id"] == c["record_id"]


@pytest.mark.slow
def test_rows_do_not_depend_on_the_process_hash_seed(data: Path) -> None:
    code = (
        "import json, sys\n"
        "from simpleseg_agent.training.tasks import iter_task_rows\n"
        "rows = iter_task_rows(sys.argv[1], format='grpo', mix='text2mask=1,text2box=1,point2mask=1')\n"
        "print(json.dumps([[r['task'], r['prompt'][0]['content'][1]['text']] for r in rows]))\n"
    )
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True, text=True, env=env, timeout=120,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1] and len(json.loads(outs[0])) == 40


def test_bad_records_are_skipped_and_counted(data: Path) -> None:
    path = _bad_records_file(data)
    result = build_sft_dataset(path, data.parent / "mixed", seed=0)
    stats = json.loads((result.out_dir / "stats.json").read_text())
    assert stats["records_read"] == 12 and stats["records_used"] == 5 and stats["rows"] == result.num_rows == 5
    assert stats["skipped"] == {
        "missing_image": 1, "image_size_mismatch": 1, "out_of_image": 1, "degenerate_polygon": 1, "empty_mask": 1,
        "invalid_record": 2,
    }
    assert stats["notes"] == {"size_mismatch_rescaled": 1}
    assert any("line" in e or ":11:" in e for e in stats["examples"]["invalid_record"]) or stats["examples"]["invalid_record"]


def test_no_usable_record_is_a_clear_error(tmp_path: Path) -> None:
    recs = [Record("nowhere.png", (10, 10), ["x"], _square(0.1, 0.1))]
    with pytest.raises(DataError, match="no usable record.*missing_image 1"):
        build_sft_dataset(recs, tmp_path / "out", records_file=tmp_path / "r.jsonl")
    with pytest.raises(DataError, match="cannot read the records file"):
        build_sft_dataset(tmp_path / "none.jsonl", tmp_path / "out2")


def test_ambiguous_records_get_point_and_box_queries_only(data: Path) -> None:
    recs = _records(40, ambiguous_every=2)
    stats = BuildStats("sft")
    rows = list(iter_task_rows(recs, records_file=data, mix=TaskMix(), stats=stats))
    ambiguous_ids = {r.record_id for r in recs if r.meta["ambiguous"]}
    for row in rows:
        if row["record_id"] in ambiguous_ids:
            assert TASK_SPEC[row["task"]][0] != "text"
    assert stats.notes["ambiguous_visual_only"] == 20
    # the running deficit lets the other records make up the text share where it can
    counts = Counter(r["task"] for r in rows)
    assert counts["text2mask"] >= 15
    text_only = BuildStats("sft")
    assert len(list(iter_task_rows(recs, records_file=data, mix="text2mask=1", stats=text_only))) == 20
    assert text_only.skipped == {"ambiguous_text_only": 20}


def test_point_queries_inside_the_object(data: Path) -> None:
    rows = list(iter_task_rows(data, mix="point2mask=1", options=BuildOptions(seed=1, point_query="inside")))
    points = set()
    by_id = {r.record_id: r for r in _records(40)}
    for row in rows:
        prompt = row["messages"][0]["content"][1]["text"]
        xy = json.loads(prompt[prompt.index("["): prompt.index("]") + 1])
        x1, y1, x2, y2 = by_id[row["record_id"]].xyxy_norm
        assert x1 - 1e-3 <= xy[0] <= x2 + 1e-3 and y1 - 1e-3 <= xy[1] <= y2 + 1e-3
        points.add(tuple(xy))
    assert len(points) > 30  # not always the centre


def test_streaming_gives_the_rows_of_the_disk_build(data: Path) -> None:
    disk = build_grpo_dataset(data, data.parent / "disk", seed=5).load()
    stats = BuildStats("grpo")
    stream = stream_task_dataset(data, format="grpo", seed=5, stats=stats)
    assert isinstance(stream, datasets.IterableDataset)
    rows = list(stream)
    assert [r["prompt"] for r in rows] == disk["prompt"] and [r["task"] for r in rows] == disk["task"]
    assert rows[0]["image"].size == disk[0]["image"].size and stats.rows == 40
    assert len(list(stream)) == 40  # a second pass reads the file again
    with pytest.raises(DataError, match="not an iterator"):
        stream_task_dataset(iter(_records(2)), format="sft")


def test_saved_images_are_embedded_and_output_folder_rules(data: Path) -> None:
    out = data.parent / "embedded"
    result = build_sft_dataset(data, out, seed=0)
    raw = result.load().cast_column("images", datasets.List(datasets.Image(decode=False)))
    first = raw[0]["images"][0]
    assert first["bytes"] == (data.parent / "a.png").read_bytes()  # self-contained: the file's own bytes
    with pytest.raises(DataError, match="not empty.*overwrite"):
        build_sft_dataset(data, out, seed=0)
    assert build_sft_dataset(data, out, seed=0, overwrite=True).num_rows == 40


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "expected 'kind=weight"),
        ("text2mask", "not kind=weight"),
        ("text2cat=1", "not kind=weight"),
        ("text2mask=abc", "must be a number"),
        ("text2mask=-1", "finite weight >= 0"),
        ("text2mask=0,box2mask=0", "every weight is 0"),
        ("text2mask=nan", "finite weight"),
    ],
)
def test_task_mix_rejects_bad_input(text: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        TaskMix.parse(text)


def test_task_mix_and_options_validation() -> None:
    assert TaskMix.parse("text->mask=2, box_2_mask=2").weights["box2mask"] == 0.5
    assert abs(sum(TaskMix().weights.values()) - 1) < 1e-12
    assert all(k in TaskMix.describe() for k in TASK_KINDS)
    with pytest.raises(DataError, match="finite weight"):
        TaskMix(text2mask=True)
    for bad, match in [({"seed": 1.5}, "seed"), ({"style": "fancy"}, "style"), ({"samples_per_record": 0}, "samples_per_record"),
                       ({"point_query": "edge"}, "point_query")]:
        with pytest.raises(DataError, match=match):
            BuildOptions(**bad)
    with pytest.raises(DataError, match="format"):
        list(iter_task_rows([], format="dpo"))


def test_compact_style_answers(data: Path) -> None:
    rows = list(iter_task_rows(data, mix="text2box=1", options=BuildOptions(style="compact")))
    answer = rows[0]["messages"][1]["content"][0]["text"]
    assert ", " not in answer.split("[", 1)[1] and parse_answer(answer, space="1000").kind == "box"


# --- TRL accepts the rows ----------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_trl_collator_and_chat_template_accept_the_rows(data: Path, tiny_model_path: Path) -> None:
    trl = pytest.importorskip("trl")
    from transformers import AutoProcessor
    from trl.data_utils import prepare_multimodal_messages
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    processor = AutoProcessor.from_pretrained(tiny_model_path)
    sft = build_sft_dataset(data, data.parent / "sft", seed=0).load()
    batch = DataCollatorForVisionLanguageModeling(processor)([sft[0], sft[1]])
    assert {"input_ids", "attention_mask", "pixel_values", "image_grid_thw", "labels"} <= set(batch)
    text = processor.tokenizer.decode(batch["input_ids"][0])
    assert "<|image_pad|>" in text and sft[0]["messages"][1]["content"][0]["text"] in text
    assert sft[0]["messages"][0]["content"][1]["text"] in text
    # GRPO: what GRPOTrainer does with a row before generation (grpo_trainer.py: prepare_multimodal_messages
    # with the row's image, then the processor's chat template with a generation prompt)
    grpo = build_grpo_dataset(data, data.parent / "grpo", seed=0).load()
    row = grpo[0]
    prompt = prepare_multimodal_messages(row["prompt"], images=[row["image"]])
    enc = processor.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True,
                                        return_tensors="pt")
    assert "pixel_values" in enc
    assert processor.tokenizer.decode(enc["input_ids"][0]).endswith("<|im_start|>assistant\n")
    assert trl.__version__


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_trl_trainers_take_one_step_on_the_datasets(data: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("trl")
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

    torch.set_num_threads(1)
    processor = AutoProcessor.from_pretrained(tiny_model_path)
    common = {"max_steps": 1, "per_device_train_batch_size": 2, "report_to": [], "use_cpu": True, "bf16": False,
              "gradient_checkpointing": False, "save_strategy": "no", "logging_steps": 1, "dataloader_num_workers": 0}
    sft = build_sft_dataset(data, tmp_path / "sft", seed=0).load()
    trainer = SFTTrainer(model=AutoModelForImageTextToText.from_pretrained(tiny_model_path),
                         args=SFTConfig(output_dir=str(tmp_path / "sft-run"), **common), train_dataset=sft,
                         processing_class=processor)
    assert np.isfinite(trainer.train().training_loss)

    seen: dict = {}

    def reward(completions, gt_polygons, gt_xyxy, gt_point, image_wh, task, **kwargs):
        seen.update(n=len(completions), gt=gt_polygons[0], wh=image_wh[0], task=task[0], xyxy=gt_xyxy[0], point=gt_point[0])
        return [0.0] * len(completions)

    grpo = build_grpo_dataset(data, tmp_path / "grpo", seed=0).load()
    trainer = GRPOTrainer(model=AutoModelForImageTextToText.from_pretrained(tiny_model_path), reward_funcs=reward,
                          args=GRPOConfig(output_dir=str(tmp_path / "grpo-run"), num_generations=2,
                                          max_completion_length=8, **common),
                          train_dataset=grpo, processing_class=processor)
    trainer.train()
    assert seen["n"] == 2 and seen["task"] in TASK_KINDS and len(seen["xyxy"]) == 4 and len(seen["point"]) == 2
    assert seen["wh"] in ([100, 50], [60, 60]) and len(seen["gt"][0]) == 4


# --- command line ------------------------------------------------------------------------------


def _run(argv: list[str]) -> int:
    """``simpleseg data ...`` through the real command line."""
    from simpleseg_agent.cli import main

    return main(["data", *argv])


def test_cli_build_tasks(data: Path, capsys) -> None:
    out = data.parent / "cli-ds"
    rc = _run(["build-tasks", str(data), "--out", str(out), "--format", "grpo", "--mix", "text2mask=0.5,box2mask=0.5",
               "--seed", "4", "--quiet"])
    assert rc == 0
    captured = capsys.readouterr()
    assert "40 rows" in captured.out and "40 grpo rows" in captured.err
    ds = datasets.load_from_disk(str(out))
    assert Counter(ds["task"]) == {"text2mask": 20, "box2mask": 20}
    assert json.loads((out / "stats.json").read_text())["options"]["seed"] == 4
    assert datasets.is_progress_bar_enabled()  # --quiet restored the global switch


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--mix", "text2cat=1"], "not kind=weight"),
        (["--samples-per-record", "0"], "samples_per_record"),
    ],
)
def test_cli_build_tasks_errors_exit_2(data: Path, capsys, extra: list[str], message: str) -> None:
    rc = _run(["build-tasks", str(data), "--out", str(data.parent / "x"), "--quiet", *extra])
    assert rc == 2 and message in capsys.readouterr().err


def test_cli_build_tasks_missing_records_and_full_folder(data: Path, capsys) -> None:
    assert _run(["build-tasks", str(data.parent / "none.jsonl"), "--out", str(data.parent / "y"), "--quiet"]) == 2
    assert "records file not found" in capsys.readouterr().err
    assert _run(["build-tasks", str(data), "--out", str(data.parent), "--quiet"]) == 2
    assert "--overwrite" in capsys.readouterr().err
