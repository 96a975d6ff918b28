"""SFT and GSPO on TRL with the tiny real model (CPU, one thread): loss falls, GSPO moves the
weights with a non-zero reward spread, and an interrupted run resumes from its checkpoint."""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("trl", reason="needs the [train] extra")

from datasets import Dataset  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

from simpleseg_agent.testing.memorize import synthetic_examples, tool_examples  # noqa: E402
from simpleseg_agent.training.config import ChooseRecipe, GSPORecipe, SFTRecipe  # noqa: E402
from simpleseg_agent.training.runner import run_gspo, run_sft, set_single_thread  # noqa: E402
from simpleseg_agent.training.recipes import find_recipe, recipe_names

from .crash_resume import crash_then_resume  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def sft_rows():
    return [
        {"images": [e.image], "messages": [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": e.prompt}]},
            {"role": "assistant", "content": [{"type": "text", "text": e.answer}]},
        ]}
        for e in synthetic_examples() + tool_examples()
    ]


def grpo_rows():
    return [
        {"prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": e.prompt}]}],
         "image": e.image, "task": "text2mask", "gt_polygons": [[list(p) for p in poly] for poly in e.polygons_xy_norm],
         "image_wh": list(e.image.size)}
        for e in synthetic_examples()
    ]


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    Dataset.from_list(sft_rows()).save_to_disk(str(root / "sft"))
    Dataset.from_list(grpo_rows()).save_to_disk(str(root / "grpo"))
    return root


def tiny_sft_recipe(model, data, out, **kw):
    base = SFTRecipe.from_yaml(find_recipe("tiny-cpu-sft"))
    return base.with_overrides({"model.model": str(model), "data.train": str(data), "output_dir": str(out), **kw})


@pytest.fixture(scope="module")
def sft_run(tiny_model_path, data_dirs, tmp_path_factory):
    set_single_thread()
    out = tmp_path_factory.mktemp("sft")
    final = run_sft(tiny_sft_recipe(tiny_model_path, data_dirs / "sft", out, max_steps=150, logging_steps=10, save_steps=50))
    return final


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sft_lowers_the_loss(sft_run):
    info = json.loads((sft_run / "simpleseg_model.json").read_text())
    losses = [h["loss"] for h in info["log_history"] if "loss" in h]
    assert info["global_step"] == 150 and len(losses) >= 10
    assert losses[-1] < 0.2 * losses[0], losses
    assert (sft_run / "model.safetensors").is_file() and (sft_run / "processor_config.json").is_file()
    # every checkpoint says the space it answers in, so it can be evaluated as it is
    for step in (50, 100, 150):
        card = json.loads((sft_run.parent / f"checkpoint-{step}" / "simpleseg_model.json").read_text())
        assert card["coord_space"] == info["coord_space"] and card["global_step"] == step and card["kind"] == "sft"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_gspo_from_the_sft_checkpoint_moves_the_weights(sft_run, data_dirs, tmp_path):
    base = GSPORecipe.from_yaml(find_recipe("tiny-cpu-gspo"))
    recipe = base.with_overrides({"model.model": str(sft_run), "data.train": str(data_dirs / "grpo"), "output_dir": str(tmp_path)})
    final = run_gspo(recipe)
    info = json.loads((final / "simpleseg_model.json").read_text())
    stds = [h["reward_std"] for h in info["log_history"] if "reward_std" in h]
    assert stds and max(stds) > 0, info["log_history"]
    before, after = load_file(str(sft_run / "model.safetensors")), load_file(str(final / "model.safetensors"))
    changed = [k for k in before if before[k].shape == after[k].shape and (before[k] != after[k]).any()]
    assert changed, "GSPO left every weight unchanged"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_interrupted_run_resumes_from_its_last_checkpoint(tiny_model_path, data_dirs, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "simpleseg_agent.cli", "train", "sft", "--recipe", "tiny-cpu-sft",
           "--model.model", str(tiny_model_path), "--data.train", str(data_dirs / "sft"), "--output-dir", str(out),
           "--save-steps", "5", "--logging-steps", "5"]
    last, info = crash_then_resume(cmd, out)
    assert info["resumed_from"] and info["resumed_from"].endswith(f"checkpoint-{last}")
    assert info["global_step"] == last + 5


def _weights(folder):
    return load_file(str(folder / "model.safetensors"))


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", ["sft", "lora-sft", "gspo"])
def test_a_resumed_run_continues_from_the_checkpoint_weights(kind, tiny_model_path, sft_run, data_dirs, tmp_path):
    """Resume from checkpoint-N of a run and finish it: the weights must be those of the run that was
    never stopped (the trainer's plain state-dict load missed every renamed Qwen2.5-VL key and went on
    from the starting weights)."""
    set_single_thread()
    if kind in ("sft", "lora-sft"):
        lora = {"model.lora": True, "model.lora_r": 8, "model.lora_alpha": 16} if kind == "lora-sft" else {}

        def recipe(out):
            return tiny_sft_recipe(tiny_model_path, data_dirs / "sft", out, max_steps=6, save_steps=3,
                                   lr_scheduler_type="constant", **lora)
        run = run_sft
    else:
        base = GSPORecipe.from_yaml(find_recipe("tiny-cpu-gspo"))

        def recipe(out):
            return base.with_overrides({"model.model": str(sft_run), "data.train": str(data_dirs / "grpo"),
                                        "output_dir": str(out), "max_steps": 4, "save_steps": 2})
        run = run_gspo
    whole = run(recipe(tmp_path / "whole"))
    half = tmp_path / "half"
    mid = min(int(p.name.split("-")[1]) for p in (tmp_path / "whole").glob("checkpoint-*"))
    shutil.copytree(tmp_path / "whole" / f"checkpoint-{mid}", half / f"checkpoint-{mid}")
    resumed = run(recipe(half).with_overrides({"save_steps": 1}))
    info = json.loads((resumed / "simpleseg_model.json").read_text())
    assert info["resumed_from"].endswith(f"checkpoint-{mid}")
    # the resumed run saves as it is asked now (every step), not as the checkpoint's run did
    assert (half / f"checkpoint-{info['global_step'] - 1}").is_dir()
    a, b = _weights(whole), _weights(resumed)
    assert a.keys() == b.keys()
    far = {k: float(np.abs(a[k] - b[k]).max()) for k in a if not np.allclose(a[k], b[k], rtol=1e-5, atol=1e-6)}
    assert not far, f"the resumed run ended elsewhere than the uninterrupted one: {sorted(far.items())[:5]}"
    # a run asked to stop at the checkpoint's step is the checkpoint's model, not one step more
    last = tmp_path / "last"
    shutil.copytree(tmp_path / "whole" / f"checkpoint-{mid}", last / f"checkpoint-{mid}")
    again = run(recipe(last).with_overrides({"max_steps": mid}))
    assert json.loads((again / "simpleseg_model.json").read_text())["global_step"] == mid
    assert not (last / f"checkpoint-{mid + 1}").exists()
    c = _weights(again)  # merged weights at step `mid`
    assert any((a[k] != c[k]).any() for k in a), "the steps after the checkpoint changed nothing"
    if kind != "lora-sft":  # a full checkpoint holds the weights themselves (a LoRA one, the adapter)
        start = _weights(tmp_path / "whole" / f"checkpoint-{mid}")
        assert all(np.array_equal(start[k], c[k]) for k in start)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_constant_run_continued_with_a_decay_ends_where_the_decay_schedule_ends(tiny_model_path, data_dirs, tmp_path):
    """warmup_stable_decay over N + D steps is a constant run for N steps, then a decay: a constant
    run's checkpoint-N, resumed under that schedule, must end on the same weights (how the default
    model's GSPO was continued), and the logged learning rate must hold, then fall."""
    set_single_thread()

    def recipe(out, **kw):
        return tiny_sft_recipe(tiny_model_path, data_dirs / "sft", out, warmup_ratio=0.0, logging_steps=1, **kw)

    wsd = {"max_steps": 6, "lr_scheduler_type": "warmup_stable_decay", "lr_scheduler_kwargs": "num_decay_steps=3"}
    whole = run_sft(recipe(tmp_path / "whole", save_steps=10, **wsd))
    rates = [h["learning_rate"] for h in json.loads((whole / "simpleseg_model.json").read_text())["log_history"]
             if "learning_rate" in h]
    peak = recipe(tmp_path / "x").learning_rate
    assert len(rates) == 6 and rates[:3] == pytest.approx([peak] * 3)
    assert rates[3] > rates[4] > rates[5] and rates[5] < 0.3 * peak
    run_sft(recipe(tmp_path / "const", max_steps=3, save_steps=3, lr_scheduler_type="constant"))
    cont = tmp_path / "cont"
    shutil.copytree(tmp_path / "const" / "checkpoint-3", cont / "checkpoint-3")
    continued = run_sft(recipe(cont, save_steps=10, **wsd))
    a, b = _weights(whole), _weights(continued)
    far = [k for k in a if not np.allclose(a[k], b[k], rtol=1e-5, atol=1e-6)]
    assert not far, f"the continued run ended elsewhere than the decay schedule run: {far[:5]}"


@pytest.mark.timeout(600)
def test_resuming_from_another_architectures_checkpoint_is_a_clear_error(tiny_model_path, data_dirs, tmp_path):
    from dataclasses import replace

    from simpleseg_agent.errors import ModelError
    from simpleseg_agent.testing.tiny_model import TinyModelSettings, build_tiny_model

    set_single_thread()
    out = tmp_path / "run"
    build_tiny_model(out / "checkpoint-3", settings=replace(TinyModelSettings(), text_hidden=64, corpus_lines=200))
    with pytest.raises(ModelError, match="cannot resume from .*checkpoint-3.*--resume never"):
        run_sft(tiny_sft_recipe(tiny_model_path, data_dirs / "sft", out, max_steps=6))
    assert not (out / "final").exists()


def test_recipe_files_load():
    paths = [find_recipe(name) for name in recipe_names()]
    assert len(paths) >= 10
    for path in paths:  # each file says its kind; the name need not (default-gui-locate is an SFT stage)
        kind = yaml.safe_load(path.read_text())["kind"]
        recipe = {"sft": SFTRecipe, "gspo": GSPORecipe, "choose": ChooseRecipe}[kind].from_yaml(path)
        assert recipe.name == path.stem


def test_bad_recipe_values_are_refused_with_a_hint(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("kind: sft\nname: x\nlearnig_rate: 1\n")
    with pytest.raises(ValueError, match="did you mean 'learning_rate'"):
        SFTRecipe.from_yaml(p)
    with pytest.raises(ValueError, match="num_generations"):
        GSPORecipe.from_dict({"name": "g", "num_generations": 1})
    with pytest.raises(ValueError, match="key=value pairs"):
        GSPORecipe.from_dict({"name": "g", "lr_scheduler_kwargs": "num_decay_steps"})
    with pytest.raises(ValueError, match="not 'gspo'"):
        GSPORecipe.from_yaml(find_recipe("tiny-cpu-sft"))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_lora_sft_saves_merged_weights_and_an_adapter_the_backend_loads(tiny_model_path, data_dirs, tmp_path):
    from simpleseg_agent.backends.base import GenerationRequest
    from simpleseg_agent.backends.transformers_backend import TransformersBackend

    recipe = tiny_sft_recipe(tiny_model_path, data_dirs / "sft", tmp_path, max_steps=30, logging_steps=10,
                             save_steps=100, **{"model.lora": True, "model.lora_r": 8, "model.lora_alpha": 16,
                                                "model.freeze_vision": True})
    final = run_sft(recipe)
    assert (final / "adapter" / "adapter_config.json").is_file() and (final / "model.safetensors").is_file()
    info = json.loads((final / "simpleseg_model.json").read_text())
    losses = [h["loss"] for h in info["log_history"] if "loss" in h]
    assert losses[-1] < losses[0]
    ex = synthetic_examples(1)[0]
    req = [GenerationRequest(ex.image, ex.prompt, 24)]
    merged = TransformersBackend(final).generate(req)[0].text
    with_adapter = TransformersBackend(tiny_model_path, adapter=final / "adapter").generate(req)[0].text
    base = TransformersBackend(tiny_model_path).generate(req)[0].text
    assert merged == with_adapter  # the adapter on the base model is the merged checkpoint
    assert merged != base  # and training changed what the model says
    # the frozen vision tower was not touched by LoRA
    before, after = load_file(str(tiny_model_path / "model.safetensors")), load_file(str(final / "model.safetensors"))
    vision = [k for k in before if "visual.blocks." in k]
    assert vision and all((before[k] == after[k]).all() for k in vision)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_recipe_trains_and_saves_at_its_own_image_budget(tiny_model_path, data_dirs, tmp_path):
    """``model.max_pixels`` retunes the processor: the model trains on more image tokens, and the saved
    checkpoint (and every intermediate one) answers at that budget too."""
    from simpleseg_agent.backends.base import GenerationRequest
    from simpleseg_agent.backends.transformers_backend import TransformersBackend

    set_single_thread()
    before = json.loads((tiny_model_path / "processor_config.json").read_text())["image_processor"]["size"]
    budget = 4 * before["longest_edge"]
    final = run_sft(tiny_sft_recipe(tiny_model_path, data_dirs / "sft", tmp_path, max_steps=2, save_steps=1,
                                    **{"model.max_pixels": budget}))
    for folder in (final, tmp_path / "checkpoint-1"):
        size = json.loads((folder / "processor_config.json").read_text())["image_processor"]["size"]
        assert size == {**before, "longest_edge": budget}, folder
    ex = synthetic_examples(1)[0]
    req = [GenerationRequest(ex.image.resize((1280, 800)), ex.prompt, 4)]  # larger than either budget
    w0, h0 = TransformersBackend(tiny_model_path).generate(req)[0].model_input_wh
    w1, h1 = TransformersBackend(final).generate(req)[0].model_input_wh
    assert w1 * h1 > 2 * w0 * h0 and w1 * h1 <= budget  # the larger budget, within it
    for bad in (0, 100, True, 2.5):
        with pytest.raises(ValueError, match="max_pixels"):
            tiny_sft_recipe(tiny_model_path, data_dirs / "sft", tmp_path, **{"model.max_pixels": bad})
    with pytest.raises(ValueError, match="below"):
        run_sft(tiny_sft_recipe(tiny_model_path, data_dirs / "sft", tmp_path / "low",
                                **{"model.max_pixels": before["shortest_edge"] - 28 * 28}))
