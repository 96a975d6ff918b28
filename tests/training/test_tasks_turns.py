"""Multi-turn SFT rows (one image, several questions) and the vertex-order ablation option."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.geometry import Region
from simpleseg_agent.grammar import parse_answer
from simpleseg_agent.training.converters import DataError
from simpleseg_agent.training.records import Record, write_records
from simpleseg_agent.training.tasks import BuildOptions, build_sft_dataset, iter_task_rows

datasets = pytest.importorskip("datasets")


def _ring(x: float, y: float) -> list[list[float]]:
    return [[x, y], [x + 0.2, y], [x + 0.25, y + 0.1], [x + 0.2, y + 0.2], [x, y + 0.2]]


@pytest.fixture()
def grouped(tmp_path: Path) -> Path:
    """Records grouped by screen, like the generators write them: 5 on a.png, then 3 on b.png."""
    Image.fromarray(np.full((50, 100, 3), 200, np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.full((60, 60, 3), 50, np.uint8)).save(tmp_path / "b.png")
    recs = [Record("a.png" if i < 5 else "b.png", (100, 50) if i < 5 else (60, 60), [f"the thing {i}"],
                   Region.from_polygons([_ring(0.05 + 0.1 * (i % 5), 0.1)]), record_id=f"t:{i}")
            for i in range(8)]
    write_records(recs, tmp_path / "records.jsonl")
    return tmp_path / "records.jsonl"


def test_turns_merge_questions_about_the_same_image(grouped: Path, tmp_path: Path) -> None:
    single = build_sft_dataset(grouped, tmp_path / "one", mix="text2mask=1", seed=3).load()
    multi = build_sft_dataset(grouped, tmp_path / "many", mix="text2mask=1", seed=3, turns_per_row=4).load()
    assert len(single) == 8
    # a.png: 5 questions -> 4 + 1; b.png: 3 -> 3 (never mixing images)
    assert [len(r["messages"]) // 2 for r in multi] == [4, 1, 3]
    assert [r["record_id"] for r in multi] == ["t:0,t:1,t:2,t:3", "t:4", "t:5,t:6,t:7"]
    first = multi[0]
    assert len(first["images"]) == 1
    roles = [m["role"] for m in first["messages"]]
    assert roles == ["user", "assistant"] * 4
    # the image is in the first question only; every answer is the one-question row's answer, in order
    kinds = [[c["type"] for c in m["content"]] for m in first["messages"] if m["role"] == "user"]
    assert kinds == [["image", "text"], ["text"], ["text"], ["text"]]
    answers = [m["content"][0]["text"] for m in first["messages"] if m["role"] == "assistant"]
    assert answers == [single[i]["messages"][1]["content"][0]["text"] for i in range(4)]


@pytest.mark.timeout(300)
def test_trl_collator_masks_every_answer_of_a_multi_turn_row(grouped: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    pytest.importorskip("trl")
    from transformers import AutoProcessor
    from trl import SFTConfig, SFTTrainer
    from transformers import AutoModelForImageTextToText

    processor = AutoProcessor.from_pretrained(tiny_model_path)
    ds = build_sft_dataset(grouped, tmp_path / "many", mix="text2point=1", seed=0, turns_per_row=4).load()
    args = SFTConfig(output_dir=str(tmp_path / "run"), max_steps=1, per_device_train_batch_size=1, report_to=[],
                     use_cpu=True, bf16=False, assistant_only_loss=True, save_strategy="no")
    trainer = SFTTrainer(model=AutoModelForImageTextToText.from_pretrained(tiny_model_path), args=args,
                         train_dataset=ds, processing_class=processor)
    batch = trainer.data_collator([trainer.train_dataset[0]])
    labels = batch["labels"][0]
    learned = processor.tokenizer.decode(labels[labels != -100])
    answers = [m["content"][0]["text"] for m in ds[0]["messages"] if m["role"] == "assistant"]
    for a in answers:  # every answer is learned, no question is
        assert a in learned
    assert "thing" not in learned and learned.count("<|im_end|>") == len(answers)


def test_random_vertex_order_keeps_the_outline(grouped: Path) -> None:
    cw = list(iter_task_rows(grouped, mix="text2mask=1", options=BuildOptions(seed=1)))
    rnd = list(iter_task_rows(grouped, mix="text2mask=1", options=BuildOptions(seed=1, vertex_order="random")))
    changed = 0
    for a, b in zip(cw, rnd):
        pa = parse_answer(a["messages"][1]["content"][0]["text"]).polygons_xy_norm[0]
        pb = parse_answer(b["messages"][1]["content"][0]["text"]).polygons_xy_norm[0]
        assert sorted(map(tuple, pa.round(4).tolist())) == sorted(map(tuple, pb.round(4).tolist()))
        changed += not np.allclose(pa, pb)
        # still one closed ring: consecutive vertices of b are neighbours on a
        n = len(pa)
        idx = [int(np.argmin(np.abs(pa - v).sum(1))) for v in pb]
        steps = {(idx[(k + 1) % n] - idx[k]) % n for k in range(n)}
        assert steps in ({1}, {n - 1})
    assert changed >= len(cw) // 2  # the clockwise top-most start is not kept


def test_bad_turn_and_order_options_are_refused() -> None:
    with pytest.raises(DataError, match="turns_per_row"):
        BuildOptions(turns_per_row=0)
    with pytest.raises(DataError, match="vertex_order"):
        BuildOptions(vertex_order="ccw")


def test_simplified_answers_drop_vertices_within_the_tolerance(tmp_path: Path) -> None:
    from simpleseg_agent.geometry import region_iou
    from simpleseg_agent.mockup.layout import rounded_rect_px

    Image.fromarray(np.full((400, 640, 3), 200, np.uint8)).save(tmp_path / "s.png")
    ring = rounded_rect_px((100, 100, 300, 160), 14, 0.5) / np.array([640, 400])  # a pill-ish button, many vertices
    rec = Record("s.png", (640, 400), ["the button"], Region.from_polygons([ring]), record_id="r:0")
    write_records([rec], tmp_path / "records.jsonl")

    def answer(eps: float) -> np.ndarray:
        row = next(iter_task_rows(tmp_path / "records.jsonl", mix="text2mask=1",
                                  options=BuildOptions(simplify_eps_frac=eps)))
        return parse_answer(row["messages"][1]["content"][0]["text"]).polygons_xy_norm[0]

    full, coarse = answer(0.0), answer(0.02)
    assert len(full) == len(ring) > 8 and 4 <= len(coarse) < len(full)
    iou = region_iou(Region.from_polygons([coarse]), rec.region, (640, 400))
    assert 0.9 < iou < 1.0  # corners cut, the button kept
    assert Region.from_polygons([coarse]).canonical().polygons[0].tolist() == coarse.tolist()  # still clockwise from the top
    with pytest.raises(DataError, match="simplify_eps_frac"):
        BuildOptions(simplify_eps_frac=-0.1)
