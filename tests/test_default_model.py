"""The shipped default model: its files, size, architecture, provenance, and a freshly generated held-out sample.

The held-out check regenerates the first screens of the held-out set from their seed (as a clean
checkout would) and evaluates the shipped weights on them with ``simpleseg eval``; the provenance
carries the same screens' metrics from the full evaluation, so a regression in the model, the
prompts, the parser or the generator shows up as a gap.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from simpleseg_agent.backends.presets import DEFAULT_MODEL, PRESETS, default_model_dir
from simpleseg_agent.cli import main
from simpleseg_agent.tools import Decoding
from simpleseg_agent.training.default_model import (
    CHOICE_MIXES,
    CHOICE_STAGES,
    CI_SCREENS,
    DEFAULT_MODEL_SETTINGS,
    GSPO_DATA,
    GSPO_MIX,
    GSPO_STARTER_DATA,
    HELDOUT_DATA,
    LOCATE_MIX,
    POLISH_DATA,
    POLISH_MIX,
    POLISH_STARTER_DATA,
    STAGES,
    STARTER_DATA,
    STARTER_HELDOUT_DATA,
    TRAIN_DATA,
    TRAINING_DATA,
    VALIDATION_DATA,
)
from simpleseg_agent.training.recipes import find_recipe

MODEL = default_model_dir()
#: How the preset decodes: constrained, snapped, choosing among the screen's elements without an answer
SNAPPED = "greedy, constrained, snapped, choose-only, read text, text lines, shapes, kinds"
INFO = json.loads((MODEL / "simpleseg_model.json").read_text()) if (MODEL / "simpleseg_model.json").is_file() else {}


def test_the_weights_ship_inside_the_package_within_25_mb() -> None:
    names = {f.name for f in MODEL.iterdir()}
    assert {"model.safetensors", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "processor_config.json", "chat_template.jinja", "simpleseg_model.json"} <= names
    size = sum(f.stat().st_size for f in MODEL.iterdir())
    assert size <= 25 * 10**6, f"{size / 1e6:.1f} MB"
    assert PRESETS[DEFAULT_MODEL].model_id == str(MODEL)


def test_the_architecture_is_the_documented_qwen2_5_vl() -> None:
    cfg = json.loads((MODEL / "config.json").read_text())
    s = DEFAULT_MODEL_SETTINGS
    assert cfg["model_type"] == "qwen2_5_vl" and cfg["architectures"] == ["Qwen2_5_VLForConditionalGeneration"]
    text, vision = cfg["text_config"], cfg["vision_config"]
    assert (text["hidden_size"], text["num_hidden_layers"], text["num_attention_heads"]) == (s.text_hidden, s.text_layers, s.text_heads)
    assert text["rope_parameters"]["rope_theta"] == s.rope_theta
    assert (vision["hidden_size"], vision["depth"], vision["patch_size"]) == (s.vision_hidden, s.vision_depth, 14)
    proc = json.loads((MODEL / "processor_config.json").read_text())
    assert proc["image_processor"]["size"] == {"longest_edge": s.max_pixels, "shortest_edge": s.min_pixels}  # pixel budget


def _recipe_fields(yaml_name: str) -> dict:
    """The recipe's fields that decide the weights (``num_threads`` only decides the speed: the GSPO run
    shared the CPU with the evaluation and ran on one thread)."""
    data = yaml.safe_load(find_recipe(yaml_name).read_text())
    data.pop("kind")
    data.pop("num_threads", None)
    data.pop("output_dir", None)  # where the run wrote, not what it learned
    model, dat = data.pop("model"), data.pop("data")
    flat = {k: v for k, v in data.items()}
    flat.update({f"model.{k}": v for k, v in model.items() if k != "model"})
    flat.update({f"data.{k}": v for k, v in dat.items() if k != "train"})
    return flat


def test_the_pipeline_code_still_describes_the_shipped_model() -> None:
    """The data, architecture and recipes the pipeline would use today are those the shipped run recorded,
    so ``tools/train_default_model.py`` reproduces the shipped weights (a changed recipe or seed breaks that)."""
    assert INFO["data"]["train"] == TRAIN_DATA and INFO["data"]["gspo"] == GSPO_DATA and INFO["data"]["heldout"] == HELDOUT_DATA
    assert INFO["data"]["starter"] == STARTER_DATA and INFO["data"]["gspo_starter"] == GSPO_STARTER_DATA
    assert INFO["data"]["validation"] == VALIDATION_DATA and INFO["data"]["heldout_starter"] == STARTER_HELDOUT_DATA
    assert INFO["data"]["polish"] == POLISH_DATA and INFO["data"]["polish_starter"] == POLISH_STARTER_DATA
    for key, mix in (("locate_mix", LOCATE_MIX), ("gspo_mix", GSPO_MIX), ("polish_mix", POLISH_MIX),
                     *((f"{name}_mix", CHOICE_MIXES[name]) for name in CHOICE_STAGES)):
        assert [(m["data"], m["screens"], m["prefix"]) for m in INFO["data"][key]] == list(mix), key
    assert INFO["architecture"] == json.loads(json.dumps(DEFAULT_MODEL_SETTINGS.__dict__))
    # every stage up to the shipped one ran, each with its recipe as committed
    assert list(INFO["runs"]) == list(STAGES[: STAGES.index(INFO["stage"]) + 1])
    for stage in INFO["runs"]:
        recipe = INFO["runs"][stage]["recipe"]
        for key, want in _recipe_fields(f"default-gui-{stage}").items():
            head, _, rest = key.partition(".")
            got = recipe[head][rest] if rest else recipe[key]
            assert got == want or (isinstance(want, float) and abs(got - want) < 1e-12), (stage, key, got, want)
        assert INFO["runs"][stage]["global_step"] == recipe["max_steps"]
    # the preset snaps as the shipped stage was trained to choose
    decoding, run = Decoding.for_preset(DEFAULT_MODEL), INFO["runs"][INFO["stage"]]
    assert INFO["snap"] == {"reach": decoding.reach, "overlap_weight": decoding.overlap_weight}
    assert INFO["snap"] == {"reach": run["recipe"]["snap_reach"], "overlap_weight": run["recipe"]["snap_overlap_weight"]}


def test_training_validation_and_held_out_screens_never_share_a_seed() -> None:
    seeds = [d["seed"] for d in (*TRAINING_DATA, VALIDATION_DATA, HELDOUT_DATA, STARTER_HELDOUT_DATA)]
    assert len(set(seeds)) == len(seeds)  # every set of screens is its own


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_freshly_generated_held_out_sample_scores_as_the_provenance_says(tmp_path: Path, capsys) -> None:
    from simpleseg_agent.mockup.fonts import available_fonts

    fonts = [f.name for f in available_fonts()]
    assert fonts == INFO["data"]["fonts"], (
        f"this machine draws screens with {fonts}, the model's held-out screens were drawn with "
        f"{INFO['data']['fonts']}: install the generator's font packages (see .ci/run)")
    from simpleseg_agent.screen.words import tesseract_path

    assert tesseract_path() is not None, "the preset reads the screen's words: install tesseract (apt-get install tesseract-ocr)"
    data = tmp_path / "heldout"
    assert main(["data", "synth", "gui", "-n", str(CI_SCREENS), "--seed", str(HELDOUT_DATA["seed"]),
                 "--difficulty", HELDOUT_DATA["difficulty"], "--out", str(data), "--no-progress", "--no-contact-sheet"]) == 0
    capsys.readouterr()
    # as the model's provenance recorded it: the preset's decoding before grounding on the screen's words
    assert main(["eval", "--data", str(data / "records.jsonl"), "--out", str(tmp_path / "report"), "--no-ground",
                 "--json"]) == 0
    got = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    want = INFO["ci_sample"]
    assert got["n"] == want["n"]  # the same screens, the same queries
    # the same weights on the same screens: only floating-point noise of a different CPU may flip a
    # greedy token now and then, so the sample's metrics stay within a few points of the shipped ones
    assert abs(got["giou"] - want["giou"]) <= 0.05, (got, want)
    assert abs(got["click_acc"] - want["click_acc"]) <= 0.05, (got, want)
    assert abs(got["format_error_rate"] - want["format_error_rate"]) <= 0.05, (got, want)
    assert got["decoding"] == SNAPPED  # the preset's decoding
    # grounding first (the default now) keeps the clicks: its element boxes are looser than settled outlines
    assert main(["eval", "--data", str(data / "records.jsonl"), "--out", str(tmp_path / "grounded"), "--json"]) == 0
    grounded = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert grounded["n"] == want["n"] and grounded["click_acc"] >= want["click_acc"] - 0.05, (grounded, want)
    assert grounded["decoding"].startswith(SNAPPED + ", grounded first (") and "tesseract" in grounded["decoding"]
    # and the model alone, as it answers with the grammar but without snapping
    assert main(["eval", "--data", str(data / "records.jsonl"), "--out", str(tmp_path / "unsnapped"), "--no-snap",
                 "--no-ground", "--json"]) == 0
    got = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    want = INFO["ci_sample_unsnapped"]
    assert got["decoding"] == "greedy, constrained" and got["n"] == want["n"]
    for key in ("giou", "click_acc", "format_error_rate"):
        assert abs(got[key] - want[key]) <= 0.05, (key, got, want)


def test_the_demo_and_the_window_tests_never_show_a_training_screen() -> None:
    from simpleseg_agent.fixtures import TRAINING_SEEDS, find_button_screen

    assert {d["seed"] for d in TRAINING_DATA} == set(TRAINING_SEEDS)
    for seed in sorted(TRAINING_SEEDS):  # a search starting at a training seed moves past it
        assert find_button_screen("Submit", start_seed=seed).seed not in TRAINING_SEEDS
