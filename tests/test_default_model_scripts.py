"""The default model's scripts: the reproduction starts from the documented architecture; the report draws what it finds."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from simpleseg_agent.backends.presets import default_model_dir
from simpleseg_agent.training.default_model import DEFAULT_MODEL_SETTINGS, validation_reports
from simpleseg_agent.training.recipes import find_recipe

DEFAULT_MODEL_DIR = default_model_dir()

REPO = Path(__file__).resolve().parents[1]


def _needs_tesseract(why: str) -> None:
    """Skip (or fail, where CI requires the OCR) unless the ``tesseract`` program is installed."""
    from simpleseg_agent.screen.words import tesseract_path

    if tesseract_path() is None:
        if os.environ.get("SIMPLESEG_REQUIRE_OCR"):
            pytest.fail("SIMPLESEG_REQUIRE_OCR is set but tesseract is not installed (apt-get install tesseract-ocr)")
        pytest.skip(f"{why}: tesseract is not installed (apt-get install tesseract-ocr)")


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_pipeline_trains_each_stage_from_the_one_before_with_its_own_recipe() -> None:
    import yaml

    from simpleseg_agent.training.default_model import STAGES

    pipeline = _script("train_default_model")
    assert tuple(t[0] for t in pipeline.TRAINING_STEPS) == STAGES
    assert [t[3] for t in pipeline.TRAINING_STEPS] == ["init", *STAGES[:-1]]
    for stage, kind, recipe, _start, _records in pipeline.TRAINING_STEPS:
        card = yaml.safe_load(find_recipe(recipe).read_text())
        assert card["name"] == recipe and card.get("kind", "sft") == kind, stage



def test_each_stage_recipe_runs_on_its_own_from_the_pipeline_folders() -> None:
    # `simpleseg train <kind> --recipe <stage recipe>` after the init and data steps of
    # `--work runs/default` trains what the pipeline trains: the same model, records and output folder
    import yaml

    pipeline = _script("train_default_model")
    for stage, _kind, recipe, start, records in pipeline.TRAINING_STEPS:
        card = yaml.safe_load(find_recipe(recipe).read_text())
        want_model = "runs/default/init" if start == "init" else f"runs/default/{start}/final"
        assert card["model"]["model"] == want_model, stage
        assert card["data"]["train"] == f"runs/default/data/{records}/records.jsonl", stage
        assert card["output_dir"] == f"runs/default/{stage}", stage

@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_pipeline_init_step_writes_the_documented_architecture(tmp_path: Path, capsys) -> None:
    pytest.importorskip("torch")
    pipeline = _script("train_default_model")
    assert pipeline.main(["--work", str(tmp_path), "--steps", "init"]) == 0
    cfg = json.loads((tmp_path / "init" / "config.json").read_text())
    s = DEFAULT_MODEL_SETTINGS
    assert cfg["text_config"]["hidden_size"] == s.text_hidden and cfg["vision_config"]["depth"] == s.vision_depth
    assert cfg["text_config"]["rope_parameters"]["rope_theta"] == s.rope_theta
    info = json.loads((tmp_path / "init" / "simpleseg_model.json").read_text())
    assert info["n_parameters"] == 4_862_080 and info["description"].startswith("random weights")
    assert pipeline.main(["--work", str(tmp_path), "--steps", "init"]) == 0  # present: skipped, not rebuilt
    assert "exists, skipped" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        pipeline.main(["--work", str(tmp_path), "--steps", "init,bake"])
    assert exc.value.code == 2


def test_the_data_step_refuses_to_draw_screens_without_the_generators_fonts(tmp_path: Path, monkeypatch) -> None:
    """Screens drawn with fewer fonts are other screens: the data step stops and names the packages."""
    pipeline = _script("train_default_model")
    monkeypatch.setattr(pipeline, "missing_fonts", lambda: ["Lato"])
    with pytest.raises(SystemExit, match="lacks the font families Lato.*fonts-lato"):
        pipeline.main(["--work", str(tmp_path), "--steps", "data"])
    assert not (tmp_path / "data" / "train").exists()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_pipeline_validate_step_scores_every_gspo_checkpoint_on_the_validation_screens(tmp_path: Path, capsys) -> None:
    pytest.importorskip("torch")
    from simpleseg_agent.cli import main as cli

    _needs_tesseract("the choice stages' checkpoints are scored reading the screen's words")
    pipeline = _script("train_default_model")
    for stage, step in (("gspo", 7), ("gspo", 14), ("polish", 5), ("choose", 3)):  # the shipped weights stand in
        shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / stage / f"checkpoint-{step}")
    assert cli(["data", "synth", "gui", "-n", "1", "--seed", "2029", "--difficulty", "easy", "--out",
                str(tmp_path / "data" / "validation"), "--no-progress", "--no-contact-sheet"]) == 0
    capsys.readouterr()
    assert pipeline.main(["--work", str(tmp_path), "--steps", "validate"]) == 0
    printed = capsys.readouterr().out
    reports = {s: json.loads((tmp_path / "reports" / "gspo-validation" / str(s) / "val.json").read_text()) for s in (7, 14)}
    assert reports[7]["n"] == reports[14]["n"] > 0 and reports[7]["split"] == "val"
    assert printed.count("$ simpleseg eval") == 4 and printed.count("<- best") == 3  # one best per validated stage
    assert validation_reports(tmp_path).keys() == {7, 14}
    polish = validation_reports(tmp_path, "polish")
    assert polish.keys() == {5} and polish[5]["n"] == reports[7]["n"] and polish[5]["split"] == "val"
    assert "polish checkpoints on the validation screens" in printed
    # the choice stage's checkpoints are scored as the preset decodes: snapped (choosing without an answer, as
    # the shipped weights' card declares a choice-trained model's snapping), reading the screen's words and
    # settling lines of text; the GSPO cycles' as they answer
    chosen = validation_reports(tmp_path, "choose")
    assert chosen.keys() == {3}
    assert chosen[3]["decoding"] == "greedy, constrained, snapped, choose-only, read text, text lines, shapes, kinds"
    assert reports[7]["decoding"] == "greedy" and "choose checkpoints on the validation screens" in printed
    assert pipeline.main(["--work", str(tmp_path), "--steps", "validate"]) == 0  # scored already: not again
    assert "$ simpleseg eval" not in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_pipeline_eval_step_scores_each_decoding_and_ship_records_them(tmp_path: Path, capsys, monkeypatch) -> None:
    """Each stage on the held-out screens as it answers, constrained and snapped, and on the starter
    screens as it answers and snapped; the shipped provenance keeps the snapped reports and the CI sample
    both ways. (The shipped weights stand in for the stage; ``--ship`` writes into a scratch package.)"""
    pytest.importorskip("torch")
    from simpleseg_agent.cli import main as cli

    _needs_tesseract("the eval step's snapped reports read the screen's words")

    pipeline = _script("train_default_model")
    shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "polish" / "final")
    for name, seed, difficulty in (("heldout", 2026, "easy"), ("heldout-starter", 2027, "starter")):
        assert cli(["data", "synth", "gui", "-n", "1", "--seed", str(seed), "--difficulty", difficulty, "--out",
                    str(tmp_path / "data" / name), "--no-progress", "--no-contact-sheet"]) == 0
    capsys.readouterr()
    assert pipeline.main(["--work", str(tmp_path), "--steps", "eval", "--eval-max-samples", "3"]) == 0
    decodings = {suffix: json.loads((tmp_path / "reports" / f"polish{suffix}" / "heldout.json").read_text())["decoding"]
                 for suffix in ("", "-constrained", "-snapped", "-starter", "-starter-snapped")}
    # the stand-in's card declares a choice-trained model's snapping; the step reads the screen's words as the preset does
    snapped = "greedy, constrained, snapped, choose-only, read text, text lines, shapes, kinds"
    assert decodings == {"": "greedy", "-constrained": "greedy, constrained", "-snapped": snapped,
                         "-starter": "greedy", "-starter-snapped": snapped}
    monkeypatch.setattr(pipeline, "REPO", tmp_path / "repo")
    assert pipeline.main(["--work", str(tmp_path), "--steps", "eval", "--ship"]) == 0  # evaluated: only ships
    info = json.loads((tmp_path / "repo" / "simpleseg_agent" / "models" / "simpleseg-gui-small" / "simpleseg_model.json").read_text())
    assert info["stage"] == "polish" and info["heldout_snapped"]["polish"]["n"] == 3
    assert info["heldout_starter_snapped"]["polish"]["decoding"] == snapped
    assert info["ci_sample"]["n"] == info["ci_sample_unsnapped"]["n"] == 3


@pytest.mark.timeout(300)
def test_from_shipped_restores_the_work_folder_and_a_reship_keeps_every_number(tmp_path: Path, capsys, monkeypatch) -> None:
    """``--from-shipped`` writes the shipped model and what its provenance keeps into the working folder; shipping
    from there again gives the same weights and the same runs, held-out reports and validation curves, so a
    later stage can be added without training the earlier ones again. Files already there are kept."""
    pipeline = _script("train_default_model")
    package = tmp_path / "repo" / "simpleseg_agent" / "models" / "simpleseg-gui-small"
    shutil.copytree(DEFAULT_MODEL_DIR, package)
    before = json.loads((package / "simpleseg_model.json").read_text())
    monkeypatch.setattr(pipeline, "REPO", tmp_path / "repo")
    work = tmp_path / "work"
    assert pipeline.main(["--work", str(work), "--from-shipped", "--steps", "eval"]) == 0
    assert "from-shipped: wrote" in capsys.readouterr().out
    stage = before["stage"]
    assert (work / stage / "final" / "model.safetensors").read_bytes() == (DEFAULT_MODEL_DIR / "model.safetensors").read_bytes()
    assert not (work / "sft" / "final" / "model.safetensors").exists()  # earlier stages: their cards only
    card = json.loads((work / stage / "final" / "simpleseg_model.json").read_text())
    assert card["snap"] == before["snap"] and card["coord_space"] == before["coord_space"]
    assert validation_reports(work, stage).keys() == {int(k) for k in before[f"{stage}_validation"]}
    assert pipeline.main(["--work", str(work), "--steps", "eval", "--ship"]) == 0
    after = json.loads((package / "simpleseg_model.json").read_text())
    assert after["stage"] == stage and after["snap"] == before["snap"]
    for key in ("heldout", "heldout_constrained", "heldout_snapped", "heldout_starter", "heldout_starter_snapped",
                "gspo_validation", "polish_validation", "choose_validation", "architecture"):
        assert after[key] == before[key], key
    assert {k: after["data"][k] for k in before["data"]} == before["data"]  # (the data of later stages is added)
    assert after["runs"] == before["runs"]
    assert (package / "model.safetensors").read_bytes() == (DEFAULT_MODEL_DIR / "model.safetensors").read_bytes()
    # kept, not overwritten: a report the pipeline wrote since stays
    (work / "reports" / "sft" / "heldout.json").write_text(json.dumps({"giou": 0.5}))
    assert pipeline.main(["--work", str(work), "--from-shipped", "--steps", "eval"]) == 0
    assert json.loads((work / "reports" / "sft" / "heldout.json").read_text()) == {"giou": 0.5}


@pytest.mark.timeout(300)
def test_ship_takes_the_best_stage_as_the_preset_decodes_it(tmp_path: Path, capsys, monkeypatch) -> None:
    """The shipped preset snaps, so the stage shipped is the best snapped one; a stage without a snapped
    report leaves the choice to the reports as each model answers."""
    pipeline = _script("train_default_model")
    for stage in ("polish", "choose"):
        shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / stage / "final")
    for stage, plain, snapped in (("polish", 0.3, 0.4), ("choose", 0.2, 0.5)):
        for suffix, giou in (("", plain), ("-snapped", snapped)):
            (tmp_path / "reports" / f"{stage}{suffix}").mkdir(parents=True)
            (tmp_path / "reports" / f"{stage}{suffix}" / "heldout.json").write_text(json.dumps({"n": 10, "giou": giou}))
    monkeypatch.setattr(pipeline, "REPO", tmp_path / "repo")
    shipped = tmp_path / "repo" / "simpleseg_agent" / "models" / "simpleseg-gui-small" / "simpleseg_model.json"
    assert pipeline.main(["--work", str(tmp_path), "--steps", "eval", "--ship"]) == 0
    assert json.loads(shipped.read_text())["stage"] == "choose" and "shipped the choose model" in capsys.readouterr().out
    shutil.rmtree(tmp_path / "reports" / "choose-snapped")
    assert pipeline.main(["--work", str(tmp_path), "--steps", "eval", "--ship"]) == 0
    assert json.loads(shipped.read_text())["stage"] == "polish"


def test_the_report_draws_curves_and_tables_from_the_run_files(tmp_path: Path, capsys) -> None:
    work = tmp_path / "work"
    (work / "sft" / "final").mkdir(parents=True)
    history = [{"step": s, "loss": 3.0 / s, "mean_token_accuracy": 1 - 1 / s} for s in (10, 20, 30)]
    (work / "sft" / "final" / "simpleseg_model.json").write_text(json.dumps({"log_history": history}))
    metrics = {"n": 80, "giou": 0.5, "ciou": 0.4, "rec_acc50": 0.3, "click_acc": 0.6, "format_error_rate": 0.01,
               "mean_answer_tokens": 40.0}
    for step in (10, 30):
        (work / "reports" / "ckpt" / str(step)).mkdir(parents=True)
        (work / "reports" / "ckpt" / str(step) / "heldout.json").write_text(json.dumps(metrics))
    (work / "reports" / "sft").mkdir(parents=True)
    samples = [{"record_id": "a", "iou": 0.9, "click_hit": True}, {"record_id": "b", "iou": 0.1, "click_hit": False},
               {"record_id": "c", "iou": 0.3, "click_hit": False}]
    (work / "reports" / "sft" / "heldout.json").write_text(json.dumps({**metrics, "n": 1429, "samples": samples}))
    heldout = tmp_path / "records.jsonl"
    heldout.write_text("\n".join(json.dumps({"record_id": r, "meta": {"how": [k, "position"]}})
                                 for r, k in (("a", "type"), ("b", "text"), ("c", "text"))))
    (work / "locate" / "final").mkdir(parents=True)
    (work / "locate" / "final" / "simpleseg_model.json").write_text(
        json.dumps({"log_history": [{"step": s, "loss": 1.0 / s} for s in (25, 50)]}))
    for name, step, giou in (("easy", 0, 0.05), ("easy", 250, 0.1), ("starter", 0, 0.01), ("starter", 250, 0.2)):
        (work / "reports" / "locate-ckpt" / name / str(step)).mkdir(parents=True)
        (work / "reports" / "locate-ckpt" / name / str(step) / "heldout.json").write_text(
            json.dumps({**metrics, "n": 120, "giou": giou}))
    (work / "reports" / "locate").mkdir(parents=True)
    (work / "reports" / "locate" / "heldout.json").write_text(json.dumps({**metrics, "n": 1429, "giou": 0.7}))
    (work / "refine" / "checkpoint-300").mkdir(parents=True)  # a run still going: its last checkpoint's state
    (work / "refine" / "checkpoint-300" / "trainer_state.json").write_text(
        json.dumps({"log_history": [{"step": s, "loss": 0.5 / s} for s in (25, 50, 75)]}))
    (work / "reports" / "refine-ckpt" / "starter" / "300").mkdir(parents=True)
    (work / "reports" / "refine-ckpt" / "starter" / "300" / "heldout.json").write_text(
        json.dumps({**metrics, "n": 120, "giou": 0.25}))
    (work / "reports" / "gspo-validation" / "25").mkdir(parents=True)  # the pipeline's validate step
    (work / "reports" / "gspo-validation" / "25" / "val.json").write_text(json.dumps({**metrics, "n": 409, "giou": 0.125}))
    (work / "reports" / "polish-validation" / "50").mkdir(parents=True)  # ... of the second GSPO cycle
    (work / "reports" / "polish-validation" / "50" / "val.json").write_text(json.dumps({**metrics, "n": 409, "giou": 0.875}))
    (work / "polish" / "final").mkdir(parents=True)
    (work / "polish" / "final" / "simpleseg_model.json").write_text(
        json.dumps({"log_history": [{"step": s, "reward": s / 100} for s in (5, 10)]}))
    (work / "reports" / "refine-starter").mkdir(parents=True)
    (work / "reports" / "refine-starter" / "heldout.json").write_text(json.dumps({**metrics, "n": 346, "giou": 0.375}))
    (work / "reports" / "consensus" / "sft-k8").mkdir(parents=True)  # consensus decoding of the SFT model, 2 queries
    voted = [{"record_id": "a", "iou": 0.95, "click_hit": True, "format_error": False, "agreement": 0.9},
             {"record_id": "b", "iou": 0.3, "click_hit": True, "format_error": False, "agreement": 0.1}]
    (work / "reports" / "consensus" / "sft-k8" / "heldout.json").write_text(json.dumps(
        {**metrics, "n": 2, "giou": 0.625, "click_acc": 1.0, "format_error_rate": 0.0, "decoding": "consensus of x",
         "samples": voted}))
    (work / "choose" / "final").mkdir(parents=True)  # the choice stage: its log and its snapped validation curve
    (work / "choose" / "final" / "simpleseg_model.json").write_text(json.dumps(
        {"log_history": [{"step": s, "loss": 2.0 / s, "choice_accuracy": s / 40} for s in (10, 20)]}))
    (work / "reports" / "choose-validation" / "20").mkdir(parents=True)
    (work / "reports" / "choose-validation" / "20" / "val.json").write_text(json.dumps({**metrics, "n": 409, "giou": 0.625}))
    # the later choice stages: contrast scored as the choice stage was (its step 0 is where that one ended),
    # squares scored another way (reading the words: no step 0 from a curve decoded otherwise)
    (work / "reports" / "contrast-validation" / "40").mkdir(parents=True)
    (work / "reports" / "contrast-validation" / "40" / "val.json").write_text(json.dumps({**metrics, "n": 409, "giou": 0.75}))
    (work / "squares" / "final").mkdir(parents=True)
    (work / "squares" / "final" / "simpleseg_model.json").write_text(json.dumps(
        {"log_history": [{"step": s, "loss": 1.0 / s, "choice_accuracy": s / 20} for s in (5, 10)]}))
    (work / "reports" / "squares-validation" / "10").mkdir(parents=True)
    (work / "reports" / "squares-validation" / "10" / "val.json").write_text(
        json.dumps({**metrics, "n": 409, "giou": 0.8125, "decoding": "greedy, constrained, snapped, choose-only, read text"}))
    out = tmp_path / "out"
    assert _script("report_default_model").main(["--work", str(work), "--out", str(out), "--heldout", str(heldout)]) == 0
    printed = capsys.readouterr().out
    assert "loss 0.300 -> 0.100" in printed and "| 30 | 80 | 0.500 | 60.0 % | 1.0 % |" in printed
    assert "| SFT | 1429 | 0.500 | 0.400 | 30.0 % | 60.0 % | 1.0 % | 40.0 | - |" in printed
    assert "| text | 2 | 0.200 | 0.0 % |" in printed and "| type | 1 | 0.900 | 100.0 % |" in printed
    assert "locate: 2 logged steps, loss 0.040 -> 0.020" in printed
    assert "| 250 | starter | 120 | 0.200 | 60.0 % | 1.0 % | 40.0 |" in printed
    assert "| LOCATE | 1429 | 0.700 |" in printed
    assert "refine: 3 logged steps, loss 0.020 -> 0.007" in printed
    assert "| 25 | validation | 409 | 0.125 | 60.0 % | 1.0 % | 40.0 |" in printed
    assert "| REFINE starter screens | 346 | 0.375 |" in printed
    assert "consensus decoding, sft-k8: consensus of x, first 2 held-out queries" in printed
    assert "| greedy | 2 | 0.500 | 50.0 % | 0.0 % |" in printed and "| consensus | 2 | 0.625 | 100.0 % | 0.0 % |" in printed
    assert "| 0.00-0.25 | 1 | 0.300 | 100.0 % |" in printed and "| 0.75-1.00 | 1 | 0.950 | 100.0 % |" in printed
    assert printed.index("| 300 | starter | 120 | 0.250 |") > printed.index("\nrefine\n")
    assert printed.index("| 50 | validation | 409 | 0.875 |") > printed.index("\npolish\n")
    assert printed.index("| 0 | validation | 409 | 0.125 |") > printed.index("\npolish\n")  # where GSPO ended
    assert "polish: 2 logged steps, reward 0.050 -> 0.100" in printed
    assert "choose: 2 logged steps, loss 0.200 -> 0.100, choice accuracy 0.250 -> 0.500" in printed
    assert printed.index("| 20 | validation | 409 | 0.625 |") > printed.index("\nchoose\n")
    choose, contrast, squares = (printed.index(f"\n{n}\n") for n in ("choose", "contrast", "squares"))
    assert "| 0 | validation" not in printed[choose:contrast]  # scored snapped: no step 0 from the cycles
    assert "| 0 | validation | 409 | 0.625 |" in printed[contrast:squares]  # where the choice stage ended
    assert "| 10 | validation | 409 | 0.812 |" in printed[squares:] and "| 0 | validation" not in printed[squares:]
    assert "squares: 2 logged steps, loss 0.200 -> 0.100, choice accuracy 0.250 -> 0.500" in printed
    for png in ("sft_loss.png", "sft_token_accuracy.png", "heldout_iou.png", "locate_loss.png", "locate_heldout.png",
                "refine_loss.png", "refine_heldout.png", "gspo_heldout.png", "polish_heldout.png", "polish_reward.png",
                "choose_loss.png", "choose_heldout.png", "contrast_heldout.png", "squares_loss.png", "squares_heldout.png"):
        assert Image.open(out / png).size == (720, 420)
    assert not (out / "gspo_reward.png").exists()  # no GSPO run: no chart


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_position_probe_scores_every_layer_on_screens_it_did_not_fit(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from simpleseg_agent.testing.tiny_model import build_tiny_model
    from simpleseg_agent.training.synth import GuiScreenGenerator, GuiSynthConfig

    model = build_tiny_model(tmp_path / "tiny")
    GuiScreenGenerator(GuiSynthConfig(difficulty="starter")).generate(4, tmp_path / "gui", seed=0)
    probe = _script("probe_positions")
    rows = probe.probe(model, tmp_path / "gui" / "records.jsonl", screens=4)
    layers = json.loads((model / "config.json").read_text())["text_config"]["num_hidden_layers"]
    assert [r["layer"] for r in rows] == list(range(layers + 1))
    for r in rows:  # scored on the held-out screen: finite, and an error no larger than the image
        assert all(isinstance(r[k], float) and r[k] == r[k] for k in r if k != "layer")
        assert 0.0 <= r["mae_col"] <= 1.0 and 0.0 <= r["mae_row"] <= 1.0 and r["r2_col"] <= 1.0
    with pytest.raises(SystemExit, match="both to fit and to test"):
        probe.probe(model, tmp_path / "gui" / "records.jsonl", screens=1)
    # answers of the shipped model on those screens: correlations are numbers in [-1, 1]
    track = probe.answer_tracking(DEFAULT_MODEL_DIR, tmp_path / "gui" / "records.jsonl", queries=6)
    assert track["queries"] == 6 and 0 <= track["failed"] <= 3
    close = probe.answer_tracking(DEFAULT_MODEL_DIR, tmp_path / "gui" / "records.jsonl", queries=10, name="close")
    assert close["queries"] == 4 and close["name"] == "close"  # one close button per screen
    with pytest.raises(SystemExit, match="no record named 'help'"):
        probe.answer_tracking(DEFAULT_MODEL_DIR, tmp_path / "gui" / "records.jsonl", name="help")
    assert -1.0 <= track["r_x"] <= 1.0 and -1.0 <= track["r_y"] <= 1.0 and 0.0 <= track["mae_x"] <= 1.0
