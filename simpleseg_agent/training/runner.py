"""SFT and GSPO runs on TRL: model loading, freezing / LoRA, data, resume, and the trainers.

``run_sft(recipe)``, ``run_gspo(recipe)`` and ``run_choose(recipe)`` return the folder of the final checkpoint (a normal
transformers checkpoint with its processor, loadable by :class:`~simpleseg_agent.tools.SimpleSeg`;
LoRA runs save the merged weights there and the adapter under ``adapter/``). Interrupted runs
resume from the last ``checkpoint-N`` in ``output_dir`` (``resume="auto"``).

Multi-GPU: launch the same command through ``accelerate launch --config_file training/accelerate/<ddp|zero2|fsdp>.yaml -m simpleseg_agent.cli train ...``
(several processes on a CPU: ``torchrun --nproc_per_node N -m simpleseg_agent.cli train ...``). The main process
builds the task data and writes ``final`` (the full weights gathered under FSDP); the others wait for it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .._optional import require
from ..errors import SimpleSegError
from .config import ChooseRecipe, GSPORecipe, SFTRecipe, RecipeBase


def _torch():
    return require("torch", extra="train", feature="training")


def _device_flags(recipe: RecipeBase) -> dict[str, Any]:
    torch = _torch()
    on_gpu = torch.cuda.is_available()
    bf16 = recipe.bf16 if recipe.bf16 is not None else bool(on_gpu and torch.cuda.is_bf16_supported())
    return {
        "bf16": bf16,
        "gradient_checkpointing": bool(recipe.gradient_checkpointing and on_gpu),  # slower and pointless on CPU
        "use_cpu": not on_gpu,
    }


def _report_to(recipe: RecipeBase) -> list[str]:
    return [] if recipe.report_to in ("", "none") else [s.strip() for s in recipe.report_to.split(",") if s.strip()]


class TrainingInputError(SimpleSegError, ValueError):
    """A recipe's inputs cannot be used: its data missing or unreadable, no model or one that cannot be
    reached, an output folder that cannot be written. Raised before anything is loaded."""


#: Seconds the hub gets to answer a connection before a run that needs it stops.
HUB_CONNECT_TIMEOUT_S = 3.0


def check_inputs(recipe: RecipeBase) -> None:
    """Refuse a recipe whose inputs cannot work, before a model or dataset is loaded: the training (and
    evaluation) data exist and can be read, a model is given and is a local folder, a preset, or a hub id
    that is in the local cache or on a hub that answers, ``output_dir`` can be written, and a resume
    checkpoint named explicitly exists. Every problem found is named on one line.

    Raises:
        TrainingInputError: what is wrong, what was expected.

    Example:
        >>> check_inputs(SFTRecipe(name="x", data={"train": "missing.jsonl"}, model={"model": "./tiny"}))
        Traceback (most recent call last):
        ...
        simpleseg_agent.training.runner.TrainingInputError: data.train: missing.jsonl not found (a records.jsonl or a dataset folder); model.model: ./tiny not found (a checkpoint folder, hub id or preset name)
    """
    problems = [p for p in (*_data_problems(recipe), _model_problem(recipe)) if p]
    if not problems:  # the output folder only matters once the rest can work (it is created here)
        problems += [p for p in (_output_problem(recipe), _resume_problem(recipe)) if p]
    if problems:
        raise TrainingInputError("; ".join(problems))


def _data_problems(recipe: RecipeBase) -> list[str]:
    out = []
    for name, value in (("data.train", recipe.data.train), ("data.eval", recipe.data.eval)):
        if name == "data.eval" and not value:
            continue
        if not value:
            out.append(f"{name} is not set (a records.jsonl or a dataset folder from simpleseg data build-tasks)")
            continue
        p = Path(value)
        expected = ("choice training reads a records.jsonl" if isinstance(recipe, ChooseRecipe)
                    else "a records.jsonl or a dataset folder")
        if not p.exists():
            out.append(f"{name}: {p} not found ({expected})")
        elif p.is_dir() and isinstance(recipe, ChooseRecipe):
            out.append(f"{name}: {p} is a folder; {expected}")
        elif p.is_dir():
            if not any((p / n).is_file() for n in ("dataset_info.json", "dataset_dict.json", "state.json")):
                out.append(f"{name}: {p} is a folder but not a saved dataset (no dataset_info.json); "
                           f"expected a records.jsonl or a folder from simpleseg data build-tasks")
        else:
            try:
                with p.open("rb") as f:
                    f.read(1)
            except OSError as e:
                out.append(f"{name}: cannot read {p} ({e.strerror or e})")
    return out


def _model_problem(recipe: RecipeBase) -> str | None:
    from ..backends.presets import PRESETS

    spec = recipe.model.model
    if not spec:
        return "model.model is not set: give a checkpoint folder, hub id or preset name (--model.model PATH)"
    spec = PRESETS[spec].model_id if spec in PRESETS else spec
    p = Path(spec)
    if p.is_dir():
        return None if (p / "config.json").is_file() else f"model.model: {p} is a folder without config.json"
    parts = spec.split("/")
    looks_like_hub_id = (len(parts) == 2 and all(parts) and not spec.startswith((".", "/", "~"))
                         and not spec.endswith((".json", ".jsonl", ".safetensors")))
    if not looks_like_hub_id:
        return f"model.model: {spec} not found (a checkpoint folder, hub id or preset name)"
    if _in_hub_cache(spec):
        return None
    if _hub_offline():
        return (f"model.model: {spec} is not a local folder and not in the hub cache, and the hub is off "
                f"(HF_HUB_OFFLINE): download it first or give a checkpoint folder")
    reason = _hub_unreachable()
    if reason:
        return (f"model.model: {spec} is not a local folder and not in the hub cache, and the hub cannot be reached "
                f"({reason}): give a checkpoint folder, or download it where the hub answers")
    return None


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    found = try_to_load_from_cache(repo_id, "config.json")
    return isinstance(found, str)


def _hub_offline() -> bool:
    return any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on")
               for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_unreachable(timeout_s: float = HUB_CONNECT_TIMEOUT_S) -> str | None:
    """Why the hub cannot be reached within ``timeout_s`` (name lookup included), or ``None`` when it answers."""
    import socket
    import threading
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)
    result: list[str | None] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            result.append(None)
        except OSError as e:
            result.append(f"{host}:{port}: {e.strerror or e.__class__.__name__}")

    t = threading.Thread(target=probe, daemon=True)  # the name lookup is not bound by the socket's timeout
    t.start()
    t.join(timeout_s + 0.5)
    return result[0] if result else f"{host}:{port}: no answer in {timeout_s:g} s"


def _output_problem(recipe: RecipeBase) -> str | None:
    out = Path(recipe.output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        return f"output_dir: cannot write to {out} ({e.strerror or e})"
    return None


def _resume_problem(recipe: RecipeBase) -> str | None:
    if recipe.resume not in ("auto", "never") and not Path(recipe.resume).is_dir():
        return f"resume: checkpoint {recipe.resume} not found (a checkpoint-N folder, 'auto' or 'never')"
    return None


def load_model_and_processor(recipe: RecipeBase, *, padding_side: str | None = None):
    """The model and processor a recipe starts from, with the vision tower frozen if asked and
    LoRA / QLoRA wrapped when asked (returns ``(model, processor, peft_config_or_None)``)."""
    torch = _torch()
    transformers = require("transformers", extra="train", feature="training")
    from ..backends.presets import PRESETS

    spec = recipe.model.model
    if not spec:
        raise ValueError("the recipe has no model.model: give a checkpoint folder, hub id or preset name")
    spec = PRESETS[spec].model_id if spec in PRESETS else spec
    if recipe.num_threads:
        torch.set_num_threads(recipe.num_threads)
    dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[recipe.model.dtype]
    if dtype == "auto":
        dtype = torch.bfloat16 if (torch.cuda.is_available() and torch.cuda.is_bf16_supported()) else torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": recipe.model.trust_remote_code}
    if recipe.model.qlora:
        if not torch.cuda.is_available():
            raise ValueError("qlora needs a CUDA GPU (4-bit bitsandbytes kernels); use lora on CPU")
        require("bitsandbytes", extra="train", feature="QLoRA")
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype, bnb_4bit_use_double_quant=True
        )
    processor = transformers.AutoProcessor.from_pretrained(spec, trust_remote_code=recipe.model.trust_remote_code)
    if recipe.model.max_pixels is not None:
        from ..backends.transformers_backend import set_pixel_budget

        low = (getattr(processor.image_processor, "size", None) or {}).get("shortest_edge")
        if low is not None and recipe.model.max_pixels < low:
            raise ValueError(f"model.max_pixels ({recipe.model.max_pixels}) is below {spec}'s min_pixels ({low})")
        set_pixel_budget(processor, max_pixels=recipe.model.max_pixels)
    if padding_side:
        processor.tokenizer.padding_side = padding_side
    model = transformers.AutoModelForImageTextToText.from_pretrained(spec, **kwargs)
    if recipe.model.freeze_vision:
        frozen = 0
        for name, param in model.named_parameters():
            # the vision encoder's blocks; the merger (projector into the language model) stays trainable
            if ".visual." in f".{name}" and ".merger." not in name:
                param.requires_grad_(False)
                frozen += param.numel()
        model.config.simpleseg_frozen_vision_params = frozen
    peft_config = None
    if recipe.model.lora:
        peft = require("peft", extra="train", feature="LoRA training")
        targets = recipe.model.lora_target_modules
        peft_config = peft.LoraConfig(
            r=recipe.model.lora_r, lora_alpha=recipe.model.lora_alpha, lora_dropout=recipe.model.lora_dropout,
            target_modules=targets if targets == "all-linear" else [t.strip() for t in targets.split(",")],
            # keep LoRA off the vision tower when it is frozen
            exclude_modules=r".*visual\.blocks.*" if recipe.model.freeze_vision else None,
            task_type="CAUSAL_LM",
        )
    return model, processor, peft_config


def _load_rows(path: str, kind: str, recipe: RecipeBase):
    """A training dataset: a saved dataset folder, or records.jsonl built into tasks on the fly."""
    datasets = require("datasets", extra="train", feature="training data")
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"training data not found: {p}")
    if p.is_dir():
        ds = datasets.load_from_disk(str(p))
        if isinstance(ds, datasets.DatasetDict):
            ds = ds["train"]
    else:
        out_dir = Path(recipe.output_dir) / f"data-{kind}"
        state = _process_state()
        # one process builds the tasks (every process would write the same folder at once: Arrow files
        # read half-written); the others wait for it and read what it built
        with state.main_process_first():
            if state.is_main_process and not (out_dir / "dataset_info.json").is_file():
                _build_rows(p, out_dir, kind, recipe)  # built once per run folder; a resumed run reuses it
        if not (out_dir / "dataset_info.json").is_file():
            from .converters._common import DataError

            raise DataError(f"process {state.process_index} cannot see the training data the main process built "
                            f"in {out_dir}: output_dir must be on a filesystem every process shares")
        ds = datasets.load_from_disk(str(out_dir))
    if recipe.data.max_samples:
        ds = ds.select(range(min(recipe.data.max_samples, len(ds))))
    return ds


def _process_state():
    """accelerate's view of this process (index, main or not) in a run of one or many processes
    (``torchrun`` / ``accelerate launch``); one process when started plainly."""
    accelerate = require("accelerate", extra="train", feature="training")
    # on the CPU only cpu=True makes accelerate read torchrun's ranks (as the trainer's own use_cpu does)
    return accelerate.PartialState(cpu=not _torch().cuda.is_available())


def _build_rows(records_path: Path, out_dir: Path, kind: str, recipe: RecipeBase) -> None:
    """Build the tasks of a records file into ``out_dir``: into a temporary folder beside it, renamed
    into place when complete (an interrupted build leaves nothing a resumed run would take for data)."""
    import shutil

    from . import tasks
    from .records import read_records

    print(f"simpleseg: building the training data into {out_dir}", file=sys.stderr, flush=True)
    builder = tasks.build_sft_dataset if kind == "sft" else tasks.build_grpo_dataset
    mix = tasks.TaskMix.parse(recipe.data.task_mix) if recipe.data.task_mix else tasks.TaskMix()
    d = recipe.data
    extra = {"turns_per_row": d.turns_per_row} if kind == "sft" else {}
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    try:
        builder(read_records(records_path), tmp, mix=mix, seed=d.seed, records_file=records_path, overwrite=True,
                style=d.style, samples_per_record=d.samples_per_record, vertex_order=d.vertex_order,
                simplify_eps_frac=d.simplify_eps_frac, target_style=target_style(recipe), **extra)
        if out_dir.exists():  # an incomplete folder (no dataset_info.json) from an older build
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def target_style(recipe: RecipeBase) -> str:
    """How the recipe's targets are written (``data.target_style``, resolved): as given, or with
    ``auto`` as the starting model writes its answers: its preset's style (``"released"`` for the
    released SimpleSeg checkpoints, by preset name or hub id), the style a checkpoint folder's model
    card says it was trained on, else ``"canonical"``. The compact style is always canonical.

    Example:
        >>> target_style(SFTRecipe(model={"model": "simpleseg-qwen2.5-vl"}))
        'released'
        >>> target_style(SFTRecipe(model={"model": "sthui/SimpleSeg-Kimi-VL"}))
        'released'
        >>> target_style(SFTRecipe(model={"model": "simpleseg-gui-small"}))
        'canonical'
        >>> target_style(SFTRecipe(model={"model": "simpleseg-qwen2.5-vl"}, data={"target_style": "canonical"}))
        'canonical'
    """
    chosen = recipe.data.target_style
    if chosen != "auto":
        return chosen
    if recipe.data.style != "reference":
        return "canonical"
    from ..backends.presets import PRESETS

    spec = recipe.model.model
    for preset in PRESETS.values():
        if spec in (preset.name, preset.model_id):
            return preset.target_style
    card = Path(spec) / "simpleseg_model.json" if spec else None
    if card is not None and card.is_file():
        try:
            declared = json.loads(card.read_text()).get("target_style")
        except (OSError, ValueError, AttributeError):
            declared = None
        if declared in ("canonical", "released"):
            return declared
    return "canonical"


def _resume_arg(recipe: RecipeBase) -> str | bool | None:
    if recipe.resume == "never":
        return None
    if recipe.resume != "auto":
        if not Path(recipe.resume).is_dir():
            raise FileNotFoundError(f"checkpoint to resume from not found: {recipe.resume}")
        return recipe.resume
    from transformers.trainer_utils import get_last_checkpoint

    out = Path(recipe.output_dir)
    return get_last_checkpoint(str(out)) if out.is_dir() else None


def _train(trainer, resume: str | None) -> None:
    """``trainer.train``, resuming from ``resume`` with its weights restored (see
    :func:`~simpleseg_agent.training.trainer_patches.load_weights_on_resume`). A checkpoint that already reached ``max_steps`` is the finished
    model: its weights and state are taken as they are (the trainer would take one more step when the
    checkpoint came from a run set to go further)."""
    from .trainer_patches import load_checkpoint_weights, load_weights_on_resume

    load_weights_on_resume(trainer)
    if resume and trainer.args.max_steps > 0:
        from transformers import TrainerState

        state_file = Path(resume) / "trainer_state.json"
        state = TrainerState.load_from_json(str(state_file)) if state_file.is_file() else None
        if state is not None and state.global_step >= trainer.args.max_steps:
            load_checkpoint_weights(trainer, resume)
            trainer.state = state
            return
    trainer.train(resume_from_checkpoint=resume)


def _common_args(recipe: RecipeBase) -> dict[str, Any]:
    return dict(
        output_dir=recipe.output_dir,
        max_steps=recipe.max_steps,
        num_train_epochs=recipe.num_train_epochs,
        per_device_train_batch_size=recipe.per_device_train_batch_size,
        gradient_accumulation_steps=recipe.gradient_accumulation_steps,
        learning_rate=recipe.learning_rate,
        lr_scheduler_type=recipe.lr_scheduler_type,
        lr_scheduler_kwargs=recipe.scheduler_kwargs(),
        warmup_steps=recipe.warmup_ratio,  # a float in [0, 1) is a ratio of the total steps
        weight_decay=recipe.weight_decay,
        logging_steps=recipe.logging_steps,
        save_steps=recipe.save_steps,
        save_total_limit=recipe.save_total_limit,
        seed=recipe.seed,
        report_to=_report_to(recipe),
        dataloader_num_workers=0,
        remove_unused_columns=False,
        **_device_flags(recipe),
    )


def _finish(trainer, processor, recipe: RecipeBase, kind: str, started: float, resumed_from) -> Path:
    """Save the final model into ``output_dir/final``, from the main process only (every process
    returns the folder once it is complete).

    Under FSDP (or DeepSpeed ZeRO-3) no process holds the whole model: every process takes part in
    gathering the full state dict (on the CPU), and the main process writes it. The model is written
    into a temporary folder beside ``final`` and renamed into place when complete."""
    import shutil

    acc = trainer.accelerator
    final = Path(recipe.output_dir) / "final"
    sharded = bool(getattr(trainer, "is_fsdp_enabled", False) or getattr(trainer, "is_deepspeed_enabled", False))
    # a collective: every process must call it, the main process keeps the result
    state_dict = acc.get_state_dict(trainer.model_wrapped) if sharded else None
    if acc.is_main_process:
        tmp = final.with_name(f".final.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            _save_final(acc.unwrap_model(trainer.model), processor, tmp, recipe, state_dict=state_dict)
            history = [h for h in trainer.state.log_history]
            (tmp / "simpleseg_model.json").write_text(json.dumps({
                **_card(recipe, kind, _answer_space(recipe), trainer.state.global_step),
                "world_size": acc.num_processes,
                "resumed_from": str(resumed_from) if resumed_from else None,
                "seconds": round(time.time() - started, 2),
                "log_history": history,
            }, indent=2, default=str))
            if final.exists():  # a final model of an earlier run in this folder: this run's replaces it
                shutil.rmtree(final)
            tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"simpleseg: saved the final model to {final}", file=sys.stderr, flush=True)
    acc.wait_for_everyone()
    return final


def _save_final(model, processor, folder: Path, recipe: RecipeBase, *, state_dict: dict | None = None) -> None:
    """Write ``model`` (unwrapped) and ``processor`` into ``folder`` as a plain transformers checkpoint.

    ``state_dict``: the full weights gathered from a sharded run (FSDP, ZeRO-3), written instead of the
    model's own (each process holds only its shard). LoRA runs keep the adapter under ``adapter/`` and
    write merged weights: merged in place when the model is whole; after a sharded run the adapter is
    merged into a fresh copy of the starting model on the CPU (a sharded model cannot be merged in place).
    """
    folder.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "merge_and_unload"):  # LoRA: keep the adapter, ship merged weights
        model.save_pretrained(folder / "adapter", state_dict=state_dict)
        if state_dict is None:
            model = model.merge_and_unload()
        else:
            model = _merged_from_adapter(recipe, folder / "adapter")
        state_dict = None
    if state_dict is None:
        model.save_pretrained(folder, safe_serialization=True)
    else:
        model.save_pretrained(folder, state_dict=state_dict, safe_serialization=True)
    processor.save_pretrained(folder)


def _merged_from_adapter(recipe: RecipeBase, adapter: Path):
    """The starting model with the LoRA adapter saved in ``adapter`` merged in (on the CPU)."""
    transformers = require("transformers", extra="train", feature="training")
    peft = require("peft", extra="train", feature="LoRA training")
    from ..backends.presets import PRESETS

    spec = recipe.model.model
    spec = PRESETS[spec].model_id if spec in PRESETS else spec
    base = transformers.AutoModelForImageTextToText.from_pretrained(
        spec, dtype=_torch().float32, trust_remote_code=recipe.model.trust_remote_code)
    return peft.PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()


def _card(recipe: RecipeBase, kind: str, space: str, step: int) -> dict[str, Any]:
    """What ``simpleseg_model.json`` says of every saved model: its recipe, kind, answer space and step;
    a choice-trained model also how its answers are meant to snap (read by ``--snap``)."""
    card: dict[str, Any] = {"recipe": recipe.to_dict(), "kind": kind, "coord_space": space, "global_step": step,
                            "target_style": target_style(recipe)}
    if isinstance(recipe, ChooseRecipe):
        card["snap"] = {"reach": recipe.snap_reach, "overlap_weight": recipe.snap_overlap_weight}
    return card


def _checkpoint_card(recipe: RecipeBase, kind: str):
    """A callback that writes ``simpleseg_model.json`` (answer space, recipe, step) into every checkpoint
    folder, so a checkpoint is read in the space it answers in (``simpleseg eval --model run/checkpoint-500``)
    without a ``--preset``."""
    from transformers import TrainerCallback

    space = _answer_space(recipe)

    class CheckpointCard(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                card = _card(recipe, kind, space, state.global_step)
                (folder / "simpleseg_model.json").write_text(json.dumps(card, indent=2, default=str))
            return control

    return CheckpointCard()


def _start_space(recipe: RecipeBase) -> str:
    """The coordinate space the starting checkpoint answers in (what it declares; SimpleSeg's by default)."""
    from ..backends.registry import resolve_preset

    return resolve_preset(None, recipe.model.model).coord_space.value if recipe.model.model else "norm"


def _answer_space(recipe: RecipeBase) -> str:
    """The coordinate space the trained model answers in: what it was trained on, or what the starting
    checkpoint declared (GSPO keeps the SFT model's style)."""
    if isinstance(recipe, SFTRecipe) and Path(recipe.data.train).is_file():
        return "1000" if recipe.data.style == "compact" else "norm"
    return _start_space(recipe)


def run_sft(recipe: SFTRecipe) -> Path:
    """Supervised fine-tuning with TRL's SFTTrainer on ``images`` + ``messages`` rows."""
    check_inputs(recipe)
    trl = require("trl", extra="train", feature="SFT")
    started = time.time()
    model, processor, peft_config = load_model_and_processor(recipe)
    train = _load_rows(recipe.data.train, "sft", recipe)
    args = trl.SFTConfig(**_common_args(recipe), max_length=recipe.max_length, assistant_only_loss=recipe.assistant_only_loss)
    trainer = trl.SFTTrainer(model=model, args=args, train_dataset=train, processing_class=processor, peft_config=peft_config,
                             callbacks=[_checkpoint_card(recipe, "sft")])
    resume = _resume_arg(recipe)
    _train(trainer, resume)
    return _finish(trainer, processor, recipe, "sft", started, resume)


def build_reward(recipe: GSPORecipe):
    """The recipe's reward callable (see :class:`~simpleseg_agent.training.rewards.SimpleSegReward`)."""
    from .rewards import SimpleSegReward

    space = _start_space(recipe)
    return SimpleSegReward(w_iou=recipe.w_iou, w_centroid=recipe.w_centroid, w_format=recipe.w_format,
                           coord_space=space if space in ("norm", "1000") else "norm")


def run_gspo(recipe: GSPORecipe, *, callbacks: list | None = None) -> Path:
    """GSPO (sequence-level GRPO) with the IoU reward, via TRL's GRPOTrainer."""
    check_inputs(recipe)
    trl = require("trl", extra="train", feature="GSPO")
    from .._optional import is_available

    started = time.time()
    model, processor, peft_config = load_model_and_processor(recipe, padding_side="left")
    train = _load_rows(recipe.data.train, "grpo", recipe)
    use_vllm = bool(recipe.use_vllm and is_available("vllm"))
    batch = recipe.per_device_train_batch_size
    if batch % recipe.num_generations and (batch * recipe.gradient_accumulation_steps) % recipe.num_generations:
        raise ValueError(
            f"per_device_train_batch_size ({batch}) x gradient_accumulation_steps must be a multiple of "
            f"num_generations ({recipe.num_generations}): each prompt's group is generated together"
        )
    args = trl.GRPOConfig(
        **_common_args(recipe),
        num_generations=recipe.num_generations,
        steps_per_generation=recipe.steps_per_generation,
        max_completion_length=recipe.max_completion_length,
        temperature=recipe.temperature,
        top_p=recipe.top_p,
        importance_sampling_level="sequence",
        loss_type="grpo",
        beta=recipe.beta,
        epsilon=recipe.epsilon,
        epsilon_high=recipe.epsilon_high,
        use_vllm=use_vllm,
    )
    trainer = trl.GRPOTrainer(
        model=model, reward_funcs=[build_reward(recipe)], args=args, train_dataset=train,
        processing_class=processor, peft_config=peft_config,
        callbacks=[*(callbacks or []), _checkpoint_card(recipe, "gspo")],
    )
    resume = _resume_arg(recipe)
    _train(trainer, resume)
    return _finish(trainer, processor, recipe, "gspo", started, resume)


def run_choose(recipe: ChooseRecipe) -> Path:
    """Choice training (:mod:`simpleseg_agent.training.choose`) with a transformers ``Trainer``: the
    training data is a records file; each record gives one example, its candidates drawn once (the
    same records and ``data.seed`` give the same examples, so a resumed run sees the same data). Logs
    ``choice_accuracy``: the fraction of examples in the logged steps whose right box already scored
    highest."""
    check_inputs(recipe)
    transformers = require("transformers", extra="train", feature="choice training")
    torch = _torch()
    from .choose import ChoiceCollator, choice_examples, choice_loss

    started = time.time()
    train_path = Path(recipe.data.train)
    if not train_path.is_file():
        raise FileNotFoundError(f"choice training reads a records.jsonl; not found: {train_path}")
    model, processor, peft_config = load_model_and_processor(recipe)
    if peft_config is not None:
        peft = require("peft", extra="train", feature="LoRA training")
        model = peft.get_peft_model(model, peft_config)
    from ..grammar import CoordSpace

    space = CoordSpace.THOUSAND if _start_space(recipe) == "1000" else CoordSpace.NORM
    examples = choice_examples(train_path, seed=recipe.data.seed, n_candidates=recipe.n_candidates, space=space,
                               progress=True, hard_negatives=recipe.hard_negatives,
                               extent_negatives=recipe.extent_negatives)
    if recipe.data.max_samples:
        examples = examples[: recipe.data.max_samples]
    if not examples:
        raise ValueError(f"{train_path}: no record has an element box that fits its target (IoU >= 0.5)")

    class Examples(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(examples)

        def __getitem__(self, i: int) -> dict[str, Any]:
            return examples[i]

    class ChoiceTrainer(transformers.Trainer):
        hits: list[float] = []

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss, accuracy = choice_loss(model, inputs["rows"], recipe.sft_weight)
            self.hits.append(accuracy)
            return (loss, None) if return_outputs else loss

        def log(self, logs, *args, **kwargs):
            if self.hits and "loss" in logs:
                logs["choice_accuracy"] = round(sum(self.hits) / len(self.hits), 4)
                self.hits.clear()
            super().log(logs, *args, **kwargs)

    args = transformers.TrainingArguments(**_common_args(recipe))
    trainer = ChoiceTrainer(model=model, args=args, train_dataset=Examples(), data_collator=ChoiceCollator(processor),
                            processing_class=processor, callbacks=[_checkpoint_card(recipe, "choose")])
    resume = _resume_arg(recipe)
    _train(trainer, resume)
    return _finish(trainer, processor, recipe, "choose", started, resume)


def set_single_thread() -> None:
    """One torch thread (tests, shared CPUs)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _torch().set_num_threads(1)
