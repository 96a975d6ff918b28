"""Consensus decoding: the greedy answer plus sampled ones, the answer that agrees best with the others wins.

The selection logic is tested with a fake backend (named as one) that answers by request; the real
sampling path (temperature, seed, the caller's random state) with the tiny real model.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.errors import ModelError
from simpleseg_agent.geometry import Region, region_iou
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import Decoding, SimpleSeg, consensus

IMAGE = Image.new("RGB", (200, 100))
LEFT = "[[[0.10, 0.10], [0.40, 0.10], [0.40, 0.60], [0.10, 0.60]]]"
LEFT_WIDER = "[[[0.10, 0.10], [0.45, 0.10], [0.45, 0.60], [0.10, 0.60]]]"
RIGHT = "[[[0.60, 0.30], [0.90, 0.30], [0.90, 0.90], [0.60, 0.90]]]"


def scripted(greedy: str, samples: list[str]) -> FakeAnswerBackend:
    """A fake backend: ``greedy`` for temperature-0 requests, ``samples`` in turn for sampled ones."""
    queue = list(samples)

    def answer(request):
        return greedy if request.temperature == 0 else queue.pop(0)

    return FakeAnswerBackend(answer)


def test_the_majority_outline_beats_an_outlying_greedy_answer() -> None:
    fake = scripted(RIGHT, [LEFT, LEFT_WIDER, LEFT, "no idea"])
    seg = SimpleSeg(fake, decoding=Decoding(samples=4, temperature=0.9, seed=7))
    r = seg.segment(IMAGE, "the panel")
    assert r.ok and r.raw_answer == LEFT and r.samples == 4
    # LEFT's agreement: the other LEFT 1.0, LEFT_WIDER 30/35, RIGHT 0, the failed sample 0 -> mean over 4
    wider = region_iou(Region.from_polygons([[[0.1, 0.1], [0.4, 0.1], [0.4, 0.6], [0.1, 0.6]]]),
                       Region.from_polygons([[[0.1, 0.1], [0.45, 0.1], [0.45, 0.6], [0.1, 0.6]]]), (200, 100))
    assert r.agreement == pytest.approx((1.0 + wider) / 4, abs=0.01)
    temps = [(q.temperature, q.seed) for q in fake.requests]
    assert temps == [(0.0, None), (0.9, 7), (0.9, 8), (0.9, 9), (0.9, 10)]  # greedy, then samples, each its own seed


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_samples_differ_when_the_backend_answers_one_request_at_a_time(tiny_model_path) -> None:
    image = Image.fromarray(np.random.default_rng(2).integers(0, 255, (120, 160, 3), dtype=np.uint8))
    seg = SimpleSeg(tiny_model_path, decoding=Decoding(max_new_tokens=12, samples=4, temperature=5.0, seed=0), batch_size=1)
    asked = []
    generate = seg.backend.generate

    def recording(requests):  # the real backend's answers, kept for the test
        out = generate(requests)
        asked.extend(r.text for r in out)
        return out

    seg.backend.generate = recording
    seg.segment(image, "the cat")
    assert len(asked) == 5 and len(set(asked[1:])) > 1  # seeds 0..3, one request per batch: not one sample 4 times
    seg.close()


def test_greedy_only_by_default_and_ties_keep_the_greedy_answer() -> None:
    fake = scripted(LEFT, [])
    r = SimpleSeg(fake).segment(IMAGE, "the panel")
    assert len(fake.requests) == 1 and r.samples == 0 and r.agreement is None and r.raw_answer == LEFT
    r = SimpleSeg(scripted(LEFT, [RIGHT, LEFT, RIGHT]), decoding=Decoding(samples=3)).segment(IMAGE, "the panel")
    assert r.raw_answer == LEFT and r.agreement == pytest.approx(1 / 3, abs=0.01)  # 2 LEFTs, 2 RIGHTs: the first wins


def test_when_every_answer_fails_the_greedy_failure_is_reported() -> None:
    r = SimpleSeg(scripted("I cannot see it", ["nope", "[[[0.1, 0.1]"]), decoding=Decoding(samples=2)).segment(IMAGE, "the panel")
    assert not r.ok and r.error.kind == "not_found" and r.raw_answer == "I cannot see it" and r.agreement == 0.0


def test_boxes_and_points_vote_too() -> None:
    boxes = scripted("[0.6, 0.3, 0.9, 0.9]", ["[0.1, 0.1, 0.4, 0.6]", "[0.1, 0.1, 0.4, 0.6]"])
    b = SimpleSeg(boxes, decoding=Decoding(samples=2)).locate_box(IMAGE, "the panel")
    assert b.xyxy_norm == pytest.approx((0.1, 0.1, 0.4, 0.6)) and b.agreement == pytest.approx(0.5)
    # points: one diagonal of 200x100 is ~224 px, 5 % of it ~11 px; 2 px apart agree by ~0.82
    points = scripted("[0.90, 0.90]", ["[0.30, 0.50]", "[0.31, 0.50]"])
    p = SimpleSeg(points, decoding=Decoding(samples=2)).locate_point(IMAGE, "the dot")
    assert p.xy_px == pytest.approx((60.0, 50.0)) and p.agreement == pytest.approx((1 - 2 / (0.05 * np.hypot(200, 100))) / 2)


def test_a_batch_keeps_each_querys_answers_apart() -> None:
    def answer(request):  # the cat is left, the dog right, whatever the temperature
        return LEFT if "cat" in request.prompt else RIGHT

    seg = SimpleSeg(FakeAnswerBackend(answer), decoding=Decoding(samples=3))
    cat, dog = seg.run_batch([IMAGE, IMAGE], ["the cat", "the dog"])
    assert (cat.raw_answer, dog.raw_answer) == (LEFT, RIGHT) and cat.agreement == dog.agreement == 1.0


def test_the_latency_counts_every_answer() -> None:
    r = SimpleSeg(FakeAnswerBackend([LEFT], model_s=0.25), decoding=Decoding(samples=3)).segment(IMAGE, "the panel")
    assert r.latency.model_s == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, message", [({"samples": -1}, "samples"), ({"samples": 2.5}, "samples"),
                                             ({"samples": True}, "samples"), ({"temperature": 0}, "temperature"),
                                             ({"temperature": float("nan")}, "temperature"), ({"seed": "x"}, "seed")])
def test_bad_decoding_settings_are_refused(kwargs, message) -> None:
    with pytest.raises(ModelError, match=message):
        SimpleSeg(FakeAnswerBackend([LEFT]), decoding=Decoding(**kwargs))


def test_consensus_needs_answers() -> None:
    with pytest.raises(ValueError, match="no answers"):
        consensus([], "mask")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_real_model_samples_reproducibly_and_leaves_the_random_state_alone(tiny_model_path) -> None:
    torch = pytest.importorskip("torch")
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8))
    seg = SimpleSeg(tiny_model_path, decoding=Decoding(max_new_tokens=16, samples=3, temperature=5.0, seed=11), batch_size=4)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    backend = seg.backend
    from simpleseg_agent.backends.base import GenerationRequest

    greedy = backend.generate([GenerationRequest(image, "Where is the cat?", 16)])[0].text
    sampled = [backend.generate([GenerationRequest(image, "Where is the cat?", 16, temperature=5.0, seed=11)] * 3)
               for _ in range(2)]
    assert torch.equal(torch.random.get_rng_state(), before)  # seeded samples do not move the caller's RNG
    first, again = ([r.text for r in batch] for batch in sampled)
    assert first == again  # same seed, same samples
    assert any(t != greedy for t in first)  # a random model at temperature 5 does not repeat its greedy answer
    r = seg.segment(image, "the cat")
    assert r.samples == 3 and 0.0 <= r.agreement <= 1.0 and (r.ok or r.error.kind in {"parse", "not_found", "geometry"})
    seg.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_cli_takes_samples(tiny_model_path, tmp_path, capsys) -> None:
    import json

    from simpleseg_agent.cli import main

    Image.fromarray(np.random.default_rng(1).integers(0, 255, (90, 120, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    assert main(["segment", str(tmp_path / "a.png"), "the cat", "--model", str(tiny_model_path), "--answer", "point",
                 "--max-new-tokens", "12", "--samples", "2", "--temperature", "2", "--json"]) in (0, 1)
    out = json.loads(capsys.readouterr().out)
    assert out["samples"] == 2 and 0.0 <= out["agreement"] <= 1.0
    assert main(["segment", str(tmp_path / "a.png"), "the cat", "--model", str(tiny_model_path),
                 "--samples", "-3"]) == 2
    assert "samples must be an int >= 0" in capsys.readouterr().err


def test_an_evaluation_report_says_how_it_decoded(tmp_path) -> None:
    from simpleseg_agent.training.evaluate import evaluate_records
    from simpleseg_agent.training.records import Record

    IMAGE.save(tmp_path / "a.png")
    rec = Record("a.png", (200, 100), ["the panel"], Region.from_polygons([[[0.1, 0.1], [0.4, 0.1], [0.4, 0.6], [0.1, 0.6]]]))
    greedy = evaluate_records(SimpleSeg(scripted(RIGHT, [])), [rec], tmp_path / "records.jsonl", progress=False)
    voted = evaluate_records(SimpleSeg(scripted(RIGHT, [LEFT, LEFT]), decoding=Decoding(samples=2, temperature=0.5, seed=3)), [rec],
                             tmp_path / "records.jsonl", progress=False)
    assert (greedy.giou, voted.giou) == (0.0, 1.0)
    assert greedy.decoding == "greedy" and voted.decoding == "consensus of greedy + 2 samples (T 0.5, seed 3)"
    assert "decoding: consensus" in voted.table() and voted.to_json()["decoding"] == voted.decoding
    assert greedy.samples[0].agreement is None and voted.samples[0].agreement == 0.5  # the other LEFT 1, RIGHT 0
