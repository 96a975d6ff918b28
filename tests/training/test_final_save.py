"""How ``final`` is saved across processes: the full weights gathered from a sharded run (FSDP,
ZeRO-3) are what ``final`` holds, every process takes part in gathering them, and only the main
process writes.

accelerate turns FSDP on only for GPU process groups, so the sharding itself cannot run on a CPU: the
trainer and accelerator here are named fakes standing in for a sharded run (the model each process holds
is zeroed, as a shard would be incomplete; ``get_state_dict`` returns the full weights gathering would
give). The model, the LoRA adapter, ``save_pretrained`` and ``from_pretrained`` are real.
"""

import json
from types import SimpleNamespace

import pytest
import torch

pytest.importorskip("trl", reason="needs the [train] extra")
pytest.importorskip("peft", reason="needs the [train] extra")

from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModelForImageTextToText, AutoProcessor  # noqa: E402

from simpleseg_agent.training.config import SFTRecipe  # noqa: E402
from simpleseg_agent.training.runner import _finish  # noqa: E402


class FakeShardedAccelerator:
    """Stands in for accelerate's Accelerator in a sharded run of ``num_processes`` processes."""

    def __init__(self, full_state_dict, *, main: bool, num_processes: int = 2):
        self.full_state_dict = full_state_dict
        self.is_main_process = main
        self.num_processes = num_processes
        self.calls: list[str] = []

    def get_state_dict(self, model, unwrap=True):
        self.calls.append("get_state_dict")  # a collective: every process must make this call
        return {k: v.clone() for k, v in self.full_state_dict.items()}

    def unwrap_model(self, model):
        return model

    def wait_for_everyone(self):
        self.calls.append("wait_for_everyone")


def fake_sharded_trainer(model, accelerator):
    """A named fake of the trainer's parts ``_finish`` reads, with FSDP on."""
    return SimpleNamespace(model=model, model_wrapped=model, accelerator=accelerator, is_fsdp_enabled=True,
                           is_deepspeed_enabled=False, state=SimpleNamespace(global_step=7, log_history=[]))


def trained_weights(model) -> dict:
    """The full weights a run ended with (the starting ones, shifted so they differ)."""
    return {k: v.detach().clone() + 0.01 * (i + 1) for i, (k, v) in enumerate(model.state_dict().items())}


def zero_(model) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()


def recipe_for(model_path, out, **kw):
    return SFTRecipe(name="x", model={"model": str(model_path), **kw}, data={"train": "unused.jsonl"},
                     output_dir=str(out))


def test_final_holds_the_gathered_weights_written_by_the_main_process(tiny_model_path, tmp_path):
    model = AutoModelForImageTextToText.from_pretrained(str(tiny_model_path))
    processor = AutoProcessor.from_pretrained(str(tiny_model_path))
    full = trained_weights(model)
    zero_(model)  # what one process holds of a sharded model is not the model
    acc = FakeShardedAccelerator(full, main=True)
    final = _finish(fake_sharded_trainer(model, acc), processor, recipe_for(tiny_model_path, tmp_path), "sft", 0.0, None)
    assert acc.calls == ["get_state_dict", "wait_for_everyone"]
    card = json.loads((final / "simpleseg_model.json").read_text())
    assert card["world_size"] == 2 and card["global_step"] == 7
    loaded = AutoModelForImageTextToText.from_pretrained(str(final)).state_dict()
    assert loaded.keys() == full.keys()
    for k, v in full.items():
        torch.testing.assert_close(loaded[k], v, msg=k)
    assert [p.name for p in tmp_path.iterdir()] == ["final"]  # no temporary folder left


def test_other_processes_gather_but_do_not_write(tiny_model_path, tmp_path):
    model = AutoModelForImageTextToText.from_pretrained(str(tiny_model_path))
    processor = AutoProcessor.from_pretrained(str(tiny_model_path))
    acc = FakeShardedAccelerator(trained_weights(model), main=False)
    final = _finish(fake_sharded_trainer(model, acc), processor, recipe_for(tiny_model_path, tmp_path), "sft", 0.0, None)
    assert acc.calls == ["get_state_dict", "wait_for_everyone"]
    assert final == tmp_path / "final" and not final.exists()


def test_a_sharded_lora_run_saves_its_adapter_and_merges_it_into_the_starting_model(tiny_model_path, tmp_path):
    import peft

    base = AutoModelForImageTextToText.from_pretrained(str(tiny_model_path))
    processor = AutoProcessor.from_pretrained(str(tiny_model_path))
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    lora = peft.get_peft_model(base, config)
    with torch.no_grad():  # a trained adapter: B is no longer zero
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.05)
    full = {k: v.detach().clone() for k, v in lora.state_dict().items()}
    expected = {k: v.detach().clone() for k, v in lora.merge_and_unload().state_dict().items()}

    shard = peft.get_peft_model(AutoModelForImageTextToText.from_pretrained(str(tiny_model_path)), config)
    zero_(shard)
    acc = FakeShardedAccelerator(full, main=True)
    recipe = recipe_for(tiny_model_path, tmp_path, lora=True, dtype="float32")
    final = _finish(fake_sharded_trainer(shard, acc), processor, recipe, "sft", 0.0, None)
    assert (final / "adapter" / "adapter_model.safetensors").is_file()
    adapter = load_file(str(final / "adapter" / "adapter_model.safetensors"))
    assert adapter and all(v.abs().sum() > 0 for k, v in adapter.items() if "lora_B" in k)
    merged = AutoModelForImageTextToText.from_pretrained(str(final)).state_dict()
    assert merged.keys() == expected.keys()
    for k, v in expected.items():
        torch.testing.assert_close(merged[k], v, msg=k)
