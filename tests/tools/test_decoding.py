"""The one decoding configuration: validation, the flags generated from it, its resolution, and what a result records."""

from __future__ import annotations

import ast
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from simpleseg_agent.backends.base import ModelPreset
from simpleseg_agent.backends.presets import DEFAULT_MODEL, PRESETS, default_model_dir
from simpleseg_agent.cli import build_parser
from simpleseg_agent.errors import ModelError
from simpleseg_agent.grammar import CoordSpace
from simpleseg_agent.testing.fakes import FakeAnswerBackend, FakeScoringBackend
from simpleseg_agent.tools import Decoding, SimpleSeg
from simpleseg_agent.tools.decoding import decoding_from_args, resolve

PACKAGE = Path(__file__).resolve().parents[2] / "simpleseg_agent"
SQUARE = "[[[0.24, 0.38], [0.76, 0.38], [0.76, 0.72], [0.24, 0.72]]]"
CHOOSE = Decoding(snap=True, reach=100.0, overlap_weight=0.0)  # a choice-trained model's snapping
CHOOSER = ModelPreset("chooser", "x", CoordSpace.NORM)


def _screen() -> np.ndarray:
    img = np.full((100, 200, 3), 250, np.uint8)
    img[40:70, 50:150] = 200
    return img


# validation --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("field", "bad"), [
    ("samples", -1), ("samples", 2.5), ("samples", True), ("samples", "3"), ("samples", None),
    ("temperature", 0), ("temperature", -0.5), ("temperature", math.nan), ("temperature", math.inf),
    ("temperature", True), ("temperature", "hot"),
    ("seed", "x"), ("seed", 1.5), ("seed", False),
    ("max_new_tokens", 0), ("max_new_tokens", -5), ("max_new_tokens", 1.5), ("max_new_tokens", True),
    ("out_of_range", "wrap"), ("out_of_range", None),
    ("constrained", "yes"), ("snap", 1), ("choose_only", 0.0), ("read_text", "no"), ("text_extent", []),
    ("shape_extent", 1), ("kinds", "on"),
    ("reach", -1.0), ("reach", math.nan), ("reach", math.inf), ("reach", True), ("reach", "far"),
    ("overlap_weight", -0.1), ("read_weight", math.inf), ("kind_weight", -7.0),
    ("text_grow", 1.5), ("text_grow", -0.1), ("text_grow", math.nan), ("icon_grow", 2), ("icon_round", 0.6),
    ("icon_round", True),
])
def test_a_hostile_value_is_refused_with_the_field_and_what_it_must_be(field, bad) -> None:
    with pytest.raises(ModelError, match=rf"Decoding\.{field} must be .+, got "):
        Decoding(**{field: bad})


def test_a_decoding_is_frozen_and_every_field_has_help() -> None:
    d = Decoding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.samples = 3  # type: ignore[misc]
    assert all(f.metadata.get("help") for f in dataclasses.fields(Decoding))
    assert Decoding(samples=2) == Decoding(samples=2) and hash(Decoding(samples=2)) == hash(Decoding(samples=2))


def test_the_old_keyword_switches_are_refused_with_the_way_to_say_it() -> None:
    with pytest.raises(ModelError, match=r"decoding=Decoding\(snap=\.\.\.\)"):
        SimpleSeg(FakeAnswerBackend([SQUARE]), snap=True)
    with pytest.raises(ModelError, match="must be a Decoding"):
        SimpleSeg(FakeAnswerBackend([SQUARE]), decoding={"samples": 2})  # type: ignore[arg-type]


# the flags -----------------------------------------------------------------------------------------------
EXPLICIT = Decoding(samples=3, temperature=0.5, seed=7, max_new_tokens=64, out_of_range="reject", constrained=False,
                    snap=True, choose_only=False, read_text=False, text_extent=True, shape_extent=False, kinds=True)
FLAGS = ["--samples", "3", "--temperature", "0.5", "--seed", "7", "--max-new-tokens", "64", "--out-of-range", "reject",
         "--no-constrained", "--snap", "--no-choose-only", "--no-read-text", "--text-extent", "--no-shape-extent",
         "--kinds"]
COMMANDS = {"segment": ["segment", "screen.png", "the button"], "eval": ["eval", "--data", "records.jsonl"],
            "click": ["click", "the button"], "demo": ["demo"]}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_model_command_takes_the_same_decoding_flags(command) -> None:
    parser = build_parser()
    assert decoding_from_args(parser.parse_args(COMMANDS[command] + FLAGS)) == EXPLICIT
    assert decoding_from_args(parser.parse_args(COMMANDS[command])) == Decoding()  # unset: the preset's choices


def test_the_demo_s_old_sample_seed_still_means_the_samples_seed_and_the_screen_has_its_own() -> None:
    args = build_parser().parse_args(["demo", "--sample-seed", "5", "--screen-seed", "3"])
    assert decoding_from_args(args) == Decoding(seed=5) and args.screen_seed == 3


def test_the_click_command_does_not_import_the_cli() -> None:
    """The library never imports the command line: its flags come from the tools layer."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                name = ("." * node.level) + (node.module or "")
                if name in ("..cli", ".cli", "simpleseg_agent.cli") or name.startswith(("..cli.", "simpleseg_agent.cli.")):
                    offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


# resolution and the results ------------------------------------------------------------------------------
def test_resolving_fills_the_presets_choices_once_and_is_stable() -> None:
    fake = FakeScoringBackend([SQUARE], scorer=lambda req: [0.0] * len(req.continuations), preset=CHOOSER)
    asked = dataclasses.replace(CHOOSE, samples=0)
    seg = SimpleSeg(fake, decoding=asked)
    d = seg.decoding
    assert None not in (d.constrained, d.snap, d.choose_only, d.read_text, d.text_extent, d.shape_extent, d.kinds)
    assert d.snap and d.choose_only and not d.kinds and d.kind_weight == 0.0
    assert resolve(d, CHOOSER, fake) == d  # the resolved decoding resolves to itself


def test_a_result_records_the_decoding_that_ran_and_the_stage_that_decided() -> None:
    plain = SimpleSeg(FakeAnswerBackend([SQUARE]))
    r = plain.segment(_screen(), "the button")
    assert r.ok and r.decoding == plain.decoding.to_dict() and r.stage == "answer" and r.fallback is None
    assert Decoding(**r.decoding) == plain.decoding  # the record rebuilds the decoding
    voted = SimpleSeg(FakeAnswerBackend([SQUARE]), decoding=Decoding(samples=2)).segment(_screen(), "the button")
    assert voted.stage == "consensus" and voted.decoding["samples"] == 2
    snapped = SimpleSeg(FakeAnswerBackend([SQUARE]), decoding=Decoding(snap=True)).segment(_screen(), "the button")
    assert snapped.stage == "snap" and snapped.snapped == "overlap" and snapped.decoding["snap"] is True
    fake = FakeScoringBackend([SQUARE], scorer=lambda req: [0.0] * len(req.continuations), preset=CHOOSER)
    chosen = SimpleSeg(fake, decoding=CHOOSE).segment(_screen(), "the button")
    assert chosen.stage == "choice" and chosen.decoding["choose_only"] is True and fake.requests == []
    assert '"decoding"' in chosen.model_dump_json()


def test_a_failed_choice_is_reported_not_silent() -> None:
    """A named fake whose scoring fails: the choice and then the snap fall back, and the result says which and why."""
    broken = FakeScoringBackend([SQUARE], scorer=ModelError("scoring broke"), preset=CHOOSER)
    seg = SimpleSeg(broken, decoding=CHOOSE)
    with pytest.warns(UserWarning, match="choose_only: scoring the screen's elements failed"):
        r = seg.segment(_screen(), "the button")
    assert r.ok and len(broken.requests) == 1  # the answer was generated instead
    assert "choose_only" in r.fallback and "scoring broke" in r.fallback and "the answer was generated" in r.fallback
    assert "snap: scoring the candidates failed" in r.fallback and r.snapped == "overlap" and r.stage == "snap"
    blank = SimpleSeg(FakeScoringBackend([SQUARE], scorer=lambda req: [0.0] * len(req.continuations), preset=CHOOSER),
                      decoding=CHOOSE).segment(np.full((100, 200, 3), 250, np.uint8), "the button")
    assert "no element" in blank.fallback and blank.stage == "answer"


def test_simpleseg_without_a_model_loads_the_shipped_one() -> None:
    seg = SimpleSeg(decoding=Decoding(snap=False, max_new_tokens=8))
    try:
        assert seg.preset is PRESETS[DEFAULT_MODEL] and Path(seg.preset.model_id) == default_model_dir()
        assert type(seg.backend).__name__ == "TransformersBackend" and seg.decoding.constrained
        r = seg.locate_point(_screen(), "the button")
        assert r.model == DEFAULT_MODEL and r.decoding["max_new_tokens"] == 8
    finally:
        seg.close()
