"""``simpleseg train`` refuses inputs that cannot work before it loads anything: one line on stderr
naming the problem, exit 2, within seconds (a missing data file once took 145 s of hub retries and a
traceback that never named it)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simpleseg_agent.training.config import SFTRecipe
from simpleseg_agent.training.runner import TrainingInputError, check_inputs

REPO = Path(__file__).resolve().parents[2]


def train(args, tmp_path, **env_extra):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", **env_extra)
    started = time.time()
    proc = subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "train", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    return proc, time.time() - started


def assert_one_line_error(proc, seconds, *words):
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert seconds < 10, f"took {seconds:.1f} s"


@pytest.fixture()
def records(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text("")
    return path


@pytest.mark.timeout(120)
def test_a_missing_data_file_is_named_at_once_offline(tmp_path):
    proc, seconds = train(["sft", "--recipe", "gui-sft", "--data.train", "missing.jsonl",
                           "--output-dir", str(tmp_path / "run")], tmp_path, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    assert_one_line_error(proc, seconds, "data.train", "missing.jsonl", "not found")


@pytest.mark.timeout(120)
def test_a_missing_data_file_is_named_at_once_with_the_hub_unreachable(tmp_path):
    # no HF_HUB_OFFLINE: the hub (unreachable here, or a closed local port) gets a short connection check
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path / "hf"))
    started = time.time()
    proc = subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "train", "sft", "--recipe", "gui-sft",
                           "--data.train", "missing.jsonl", "--output-dir", str(tmp_path / "run")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert_one_line_error(proc, time.time() - started, "missing.jsonl", "model.model", "cannot be reached")


@pytest.mark.timeout(120)
def test_a_recipe_without_a_model_is_a_clear_error(tmp_path, records):
    (tmp_path / "no-model.yaml").write_text("kind: sft\nname: no-model\nmax_steps: 2\n")
    proc, seconds = train(["sft", "--recipe", str(tmp_path / "no-model.yaml"), "--data.train", str(records),
                           "--output-dir", str(tmp_path / "run")], tmp_path)
    assert_one_line_error(proc, seconds, "model.model is not set")


def test_the_tiny_recipe_names_a_model_folder_and_says_when_it_is_missing(tmp_path, records):
    proc, seconds = train(["sft", "--recipe", "tiny-cpu-sft", "--data.train", str(records),
                           "--output-dir", str(tmp_path / "run")], tmp_path)
    assert_one_line_error(proc, seconds, "runs/tiny/model")


@pytest.mark.timeout(120)
def test_a_hub_id_offline_fails_fast(tmp_path, records):
    proc, seconds = train(["sft", "--recipe", "gui-sft", "--data.train", str(records),
                           "--model.model", "someone/not-downloaded-VL", "--output-dir", str(tmp_path / "run")],
                          tmp_path, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    assert_one_line_error(proc, seconds, "someone/not-downloaded-VL", "HF_HUB_OFFLINE")


@pytest.mark.timeout(120)
def test_an_output_folder_that_cannot_be_written_is_named(tmp_path, records, tiny_model_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc, seconds = train(["gspo", "--recipe", "tiny-cpu-gspo", "--data.train", str(records),
                           "--model.model", str(tiny_model_path), "--output-dir", str(blocker / "run")], tmp_path)
    assert_one_line_error(proc, seconds, "output_dir", str(blocker / "run"))


def test_a_folder_that_is_not_a_dataset_and_an_unreadable_eval_file(tmp_path, tiny_model_path):
    (tmp_path / "images").mkdir()
    recipe = SFTRecipe(name="x", model={"model": str(tiny_model_path)},
                       data={"train": str(tmp_path / "images"), "eval": str(tmp_path / "nope.jsonl")},
                       output_dir=str(tmp_path / "run"))
    with pytest.raises(TrainingInputError, match=r"data.train: .*images is a folder but not a saved dataset.*"
                                                 r"data.eval: .*nope.jsonl not found"):
        check_inputs(recipe)
    assert not (tmp_path / "run").exists()  # nothing written for a recipe that cannot run


def test_good_inputs_pass_and_create_the_output_folder(tmp_path, tiny_model_path, records):
    recipe = SFTRecipe(name="x", model={"model": str(tiny_model_path)}, data={"train": str(records)},
                       output_dir=str(tmp_path / "a" / "run"))
    check_inputs(recipe)
    assert (tmp_path / "a" / "run").is_dir() and not list((tmp_path / "a" / "run").iterdir())
