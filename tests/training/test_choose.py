"""Choice training (simpleseg_agent.training.choose): the examples it draws from records, the
differentiable scores it trains on (equal to plain forward passes and to the backend's scoring), and
real runs on the tiny model through the transformers Trainer: the model learns to pick the right box,
and an interrupted run resumes from its checkpoint."""

import json
import sys

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("transformers", reason="needs the [train] extra")
torch = pytest.importorskip("torch")

from simpleseg_agent.backends.base import ScoreRequest  # noqa: E402
from simpleseg_agent.backends.registry import resolve_preset  # noqa: E402
from simpleseg_agent.backends.transformers_backend import TransformersBackend  # noqa: E402
from simpleseg_agent.geometry import Region  # noqa: E402
from simpleseg_agent.grammar import CoordSpace, parse_answer  # noqa: E402
from simpleseg_agent.tools import Decoding
from simpleseg_agent.training.choose import (  # noqa: E402
    EXTENT_MARGIN,
    POSITIVE_IOU,
    ChoiceCollator,
    candidate_log_likelihoods,
    choice_examples,
    choice_loss,
)
from simpleseg_agent.training.config import ChooseRecipe  # noqa: E402
from simpleseg_agent.training.records import Record, read_records  # noqa: E402
from simpleseg_agent.training.runner import TrainingInputError, run_choose, set_single_thread  # noqa: E402
from simpleseg_agent.training.recipes import find_recipe  # noqa: E402

from .crash_resume import crash_then_resume  # noqa: E402

COLOURS = {"red": (220, 30, 30), "green": (30, 170, 60), "blue": (40, 60, 220), "black": (10, 10, 10)}
BOXES = {"red": (8, 8, 40, 30), "green": (60, 10, 104, 34), "blue": (12, 48, 52, 76), "black": (70, 50, 100, 78)}


def _box_region(xyxy, wh):
    x0, y0, x1, y1 = xyxy[0] / wh[0], xyxy[1] / wh[1], xyxy[2] / wh[0], xyxy[3] / wh[1]
    return Region.from_polygons([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])


@pytest.fixture(scope="module")
def boxes_records(tmp_path_factory):
    """One 112x84 screen with four filled boxes, one record per box ("the red box", ...)."""
    root = tmp_path_factory.mktemp("choose-data")
    img = np.full((84, 112, 3), 245, np.uint8)
    for name, (x0, y0, x1, y1) in BOXES.items():
        img[y0:y1, x0:x1] = COLOURS[name]
    Image.fromarray(img).save(root / "screen.png")
    wh = (112, 84)
    with (root / "records.jsonl").open("w") as f:
        for i, name in enumerate(BOXES):
            rec = Record("screen.png", wh, [f"the {name} box"], _box_region(BOXES[name], wh), label="button",
                         source="test", record_id=f"0-{i}")
            f.write(json.dumps(rec.to_json()) + "\n")
    return root / "records.jsonl"


def _boxes_of(texts, wh):
    out = []
    for t in texts:
        parsed = parse_answer(t, kind="polygons", space=CoordSpace.THOUSAND, resolution_wh=wh)
        out.append(Region.from_polygons(parsed.polygons_xy_norm))
    return out


def test_examples_hold_the_best_fitting_box_and_wrong_ones(boxes_records):
    rows = choice_examples(boxes_records, seed=0, n_candidates=4)
    assert [r["record_id"] for r in rows] == ["0-0", "0-1", "0-2", "0-3"]
    recs = list(read_records(boxes_records))
    for row, rec in zip(rows, recs):
        assert len(row["texts"]) == 4 and len(set(row["texts"])) == 4
        assert row["prompt"] and "box" in row["prompt"]
        from simpleseg_agent.geometry import region_iou

        ious = [region_iou(r, rec.region, rec.image_wh) for r in _boxes_of(row["texts"], rec.image_wh)]
        right = ious[row["positive"]]
        assert right >= 0.8, ious  # the box drawn around the element, within the 0-999 rounding
        assert all(v < POSITIVE_IOU for i, v in enumerate(ious) if i != row["positive"]), ious
    # the same records and seed give the same examples; another seed other draws
    assert choice_examples(boxes_records, seed=0, n_candidates=4) == rows
    assert choice_examples(boxes_records, seed=1, n_candidates=4) != rows


def _matched_elements(row, recs):
    """For each wrong box of ``row``, the record it fits (IoU >= 0.8), or None."""
    from simpleseg_agent.geometry import region_iou

    wh = recs[0].image_wh
    out = []
    for i, box in enumerate(_boxes_of(row["texts"], wh)):
        if i == row["positive"]:
            continue
        fits = [r.record_id for r in recs if region_iou(box, r.region, wh) >= 0.8]
        out.append(fits[0] if fits else None)
    return out


def test_hard_negatives_are_the_other_elements_boxes(boxes_records):
    """With ``hard_negatives`` the wrong boxes include the boxes of the image's other records (the
    confusions reading makes); without, they are drawn near the target and mostly fit no element."""
    recs = list(read_records(boxes_records))
    hard = choice_examples(boxes_records, seed=0, n_candidates=4, hard_negatives=3)
    assert [r["record_id"] for r in hard] == ["0-0", "0-1", "0-2", "0-3"]
    for row in hard:
        matched = _matched_elements(row, recs)
        assert sorted(matched) == sorted(r.record_id for r in recs if r.record_id != row["record_id"]), matched
    one = choice_examples(boxes_records, seed=0, n_candidates=4, hard_negatives=1)
    for row in one:
        assert sum(m is not None for m in _matched_elements(row, recs)) >= 1
    plain = choice_examples(boxes_records, seed=0, n_candidates=4)
    assert sum(m is not None for row in plain for m in _matched_elements(row, recs)) < 3 * len(plain)
    # 0 keeps the earlier examples exactly (the shipped stage's recipe reproduces)
    assert choice_examples(boxes_records, seed=0, n_candidates=4, hard_negatives=0) == plain
    with pytest.raises(ValueError, match="hard_negatives"):
        choice_examples(boxes_records, n_candidates=4, hard_negatives=-1)


def test_extent_negatives_are_the_target_outlined_worse(boxes_records):
    """With ``extent_negatives`` some wrong boxes overlap the target (its box grown: IoU >= 0.5) but fit it at
    least EXTENT_MARGIN worse than the right one, the best-fitting first; 0 keeps the earlier examples."""
    from simpleseg_agent.geometry import region_iou

    recs = {r.record_id: r for r in read_records(boxes_records)}
    plain = choice_examples(boxes_records, seed=0, n_candidates=6, hard_negatives=1)
    rows = choice_examples(boxes_records, seed=0, n_candidates=6, hard_negatives=1, extent_negatives=2)
    assert [r["record_id"] for r in rows] == [r["record_id"] for r in plain]
    for name, examples in (("plain", plain), ("extent", rows)):
        overlapping = []
        for row in examples:
            rec = recs[row["record_id"]]
            ious = [region_iou(b, rec.region, rec.image_wh) for b in _boxes_of(row["texts"], rec.image_wh)]
            right = ious[row["positive"]]
            assert all(v <= right for v in ious), ious  # the right box is still the best-fitting one
            close = [v for i, v in enumerate(ious) if i != row["positive"] and v >= POSITIVE_IOU]
            assert all(v <= right - EXTENT_MARGIN + 0.01 for v in close), (ious, right)  # 0-999 rounding
            overlapping.append(len(close))
        if name == "plain":
            assert overlapping == [0] * len(examples)
        else:  # each filled box is a candidate grown by 0.15 of its short side (IoU about 0.6-0.7)
            assert all(1 <= n <= 2 for n in overlapping), overlapping
    assert choice_examples(boxes_records, seed=0, n_candidates=6, hard_negatives=1, extent_negatives=0) == plain
    with pytest.raises(ValueError, match="extent_negatives"):
        choice_examples(boxes_records, n_candidates=6, extent_negatives=-1)


def test_extent_negatives_leave_the_hard_ones_and_one_near_box_in_place():
    """Where hard negatives fill every wrong slot, no extent negative displaces them; otherwise they take
    their share and one box drawn near the target stays."""
    import random

    from simpleseg_agent.training.choose import _choice_for

    wh = (200, 100)
    target = _box_region((20, 20, 60, 60), wh)
    # the target's box, a box nested in it (IoU 0.81: with their grown copies, several extent negatives),
    # three other elements (the hard negatives) and two unrelated boxes
    boxes = np.array([[20, 20, 60, 60], [22, 22, 58, 58], [80, 10, 110, 40], [120, 10, 150, 40],
                      [160, 10, 190, 40], [80, 60, 100, 80], [130, 60, 150, 80]], dtype=np.float64)
    others = [_box_region(tuple(b), wh) for b in boxes[2:5]]
    for n, hard, want_extent in ((4, 3, 0), (8, 3, 3), (6, 2, 2)):
        cands, positive = _choice_for(target, boxes, wh, random.Random(0), n, others, hard, extent_negatives=3)
        overlaps = [c.overlap for i, c in enumerate(cands) if i != positive]
        assert len(cands) == n and cands[positive].overlap == 1.0
        assert sum(v >= POSITIVE_IOU for v in overlaps) == want_extent, (n, hard, overlaps)
        assert sum(v < POSITIVE_IOU for v in overlaps) >= hard + (n > hard + 1)


def test_examples_skip_a_target_no_box_fits(tmp_path):
    img = np.full((84, 112, 3), 245, np.uint8)
    img[8:30, 8:40] = 0
    img[50:70, 60:100] = 0
    Image.fromarray(img).save(tmp_path / "s.png")
    nothing_there = Record("s.png", (112, 84), ["the empty corner"], _box_region((80, 2, 110, 20), (112, 84)))
    (tmp_path / "r.jsonl").write_text(json.dumps(nothing_there.to_json()) + "\n")
    assert choice_examples(tmp_path / "r.jsonl", n_candidates=4) == []
    with pytest.raises(ValueError, match="n_candidates"):
        choice_examples(tmp_path / "r.jsonl", n_candidates=1)
    with pytest.raises(ValueError, match="pixels"):
        choice_examples(tmp_path / "r.jsonl", space=CoordSpace.PIXELS)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_scores_equal_plain_forward_passes_and_the_backends_scoring(tiny_model_path, boxes_records):
    """The cached, batched, differentiable scores are the log-likelihoods a plain forward pass over each
    whole sequence gives, and what snapping scores at inference (TransformersBackend.score)."""
    set_single_thread()
    be = TransformersBackend(str(tiny_model_path))
    model, proc = be.model, be.processor
    row = choice_examples(boxes_records, seed=0, n_candidates=4)[1]
    batch = ChoiceCollator(proc)([row])["rows"][0]
    model.eval()
    scores = candidate_log_likelihoods(model, batch["prefix"], batch["tokens"], batch["mask"])
    image = Image.open(row["image"]).convert("RGB")
    chat = ChoiceCollator(proc).chat_text(row["prompt"])
    n_prefix = batch["prefix"]["input_ids"].shape[1]
    plain = []
    with torch.no_grad():
        for k, text in enumerate(row["texts"]):
            full = proc(text=[chat + text], images=[image], return_tensors="pt")
            ids = full["input_ids"][0]
            assert torch.equal(ids[n_prefix:], batch["tokens"][k][batch["mask"][k].bool()])
            lp = torch.log_softmax(model(**full).logits[0, :-1].float(), dim=-1)
            plain.append(float(lp[torch.arange(n_prefix - 1, len(ids) - 1), ids[n_prefix:]].sum()))
            model.model.rope_deltas = None
    assert np.allclose(scores.detach().numpy(), plain, atol=1e-3), (scores, plain)
    served = be.score(ScoreRequest(image, row["prompt"], tuple(row["texts"])))
    assert np.allclose(scores.detach().numpy(), served, atol=1e-3), (scores, served)
    # and they carry gradients to the weights, through the cache into the image encoder
    model.train()
    loss, _ = choice_loss(model, [batch], sft_weight=0.1)
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert any("visual" in n for n in grads) and any("lm_head" in n for n in grads)


def _recipe(model, data, out, **kw):
    base = ChooseRecipe.from_yaml(find_recipe("tiny-cpu-choose"))
    return base.with_overrides({"model.model": str(model), "data.train": str(data), "output_dir": str(out), **kw})


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_choice_training_teaches_the_tiny_model_to_pick_the_right_box(tiny_model_path, boxes_records, tmp_path):
    set_single_thread()
    rows = choice_examples(boxes_records, seed=0, n_candidates=4, space=CoordSpace.NORM)  # the tiny model's space

    def picks(model_dir):
        be = TransformersBackend(str(model_dir))
        try:
            return [int(np.argmax(be.score(ScoreRequest(Image.open(r["image"]), r["prompt"], tuple(r["texts"])))))
                    for r in rows]
        finally:
            be.close()

    right = [r["positive"] for r in rows]
    before = sum(p == q for p, q in zip(picks(tiny_model_path), right))
    final = run_choose(_recipe(tiny_model_path, boxes_records, tmp_path / "run"))
    after = sum(p == q for p, q in zip(picks(final), right))
    assert after == len(rows) and before < len(rows), (before, after)
    info = json.loads((final / "simpleseg_model.json").read_text())
    logged = [h for h in info["log_history"] if "choice_accuracy" in h]
    assert info["kind"] == "choose" and info["global_step"] == 40 and logged
    # the card says how the model is meant to snap: the whole screen, its own choice (`--snap` reads it)
    assert info["snap"] == {"reach": 100.0, "overlap_weight": 0.0}
    declared = Decoding.for_preset(resolve_preset(None, str(final)))
    assert (declared.reach, declared.overlap_weight, declared.snap) == (100.0, 0.0, False)
    assert logged[-1]["choice_accuracy"] == 1.0 and logged[0]["loss"] > logged[-1]["loss"]
    card = json.loads((final.parent / "checkpoint-20" / "simpleseg_model.json").read_text())
    assert card["kind"] == "choose" and card["coord_space"] == info["coord_space"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_interrupted_choice_run_resumes_from_its_last_checkpoint(tiny_model_path, boxes_records, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "simpleseg_agent.cli", "train", "choose", "--recipe", "tiny-cpu-choose",
           "--model.model", str(tiny_model_path), "--data.train", str(boxes_records), "--output-dir", str(out),
           "--save-steps", "5", "--logging-steps", "5"]
    last, info = crash_then_resume(cmd, out)
    assert info["resumed_from"].endswith(f"checkpoint-{last}") and info["global_step"] == last + 5


def test_choose_recipes_refuse_bad_values(tmp_path):
    with pytest.raises(ValueError, match="n_candidates"):
        ChooseRecipe.from_dict({"name": "c", "n_candidates": 1})
    with pytest.raises(ValueError, match="sft_weight"):
        ChooseRecipe.from_dict({"name": "c", "sft_weight": -1})
    for bad in (-1, 16):
        with pytest.raises(ValueError, match="hard_negatives"):
            ChooseRecipe.from_dict({"name": "c", "n_candidates": 16, "hard_negatives": bad})
    for bad in (-1, 10):
        with pytest.raises(ValueError, match="extent_negatives"):
            ChooseRecipe.from_dict({"name": "c", "n_candidates": 16, "hard_negatives": 6, "extent_negatives": bad})
    assert ChooseRecipe.from_dict({"name": "c", "n_candidates": 16, "hard_negatives": 6, "extent_negatives": 9}).extent_negatives == 9
    with pytest.raises(ValueError, match="not 'choose'"):
        ChooseRecipe.from_yaml(find_recipe("tiny-cpu-sft"))
    with pytest.raises(TrainingInputError, match="records.jsonl"):
        run_choose(ChooseRecipe.from_dict({"name": "c", "model": {"model": "x"}, "data": {"train": str(tmp_path / "no")}}))
