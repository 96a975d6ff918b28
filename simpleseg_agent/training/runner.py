"""SFT and GSPO runs on TRL: model loading, freezing / LoRA, data, resume, and the trainers.

``run_sft(recipe)``, ``run_gspo(recipe)`` and ``run_choose(recipe)`` return the folder of the final checkpoint (a normal
transformers checkpoint with its processor, loadable by :class:`~simpleseg_agent.tools.SimpleSeg`;
LoRA runs save the merged weights there and the adapter under ``adapter/``). Interrupted runs
resume from the last ``checkpoint-N`` in ``output_dir`` (``resume="auto"``).

Multi-GPU: launch the same command through ``accelerate launch --config_file training/accelerate/<ddp|zero2|fsdp>.yaml -m simpleseg_agent.cli train ...``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .._optional import require
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
        from . import tasks
        from .records import read_records

        builder = tasks.build_sft_dataset if kind == "sft" else tasks.build_grpo_dataset
        out_dir = Path(recipe.output_dir) / f"data-{kind}"
        if not (out_dir / "dataset_info.json").is_file():  # built once per run folder; a resumed run reuses it
            mix = tasks.TaskMix.parse(recipe.data.task_mix) if recipe.data.task_mix else tasks.TaskMix()
            d = recipe.data
            extra = {"turns_per_row": d.turns_per_row} if kind == "sft" else {}
            builder(read_records(p), out_dir, mix=mix, seed=d.seed, records_file=p, overwrite=True, style=d.style,
                    samples_per_record=d.samples_per_record, vertex_order=d.vertex_order,
                    simplify_eps_frac=d.simplify_eps_frac, **extra)
        ds = datasets.load_from_disk(str(out_dir))
    if recipe.data.max_samples:
        ds = ds.select(range(min(recipe.data.max_samples, len(ds))))
    return ds


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
    final = Path(recipe.output_dir) / "final"
    model = trainer.model
    if hasattr(model, "merge_and_unload"):  # LoRA: keep the adapter, ship merged weights
        model.save_pretrained(final / "adapter")
        model = model.merge_and_unload()
    model.save_pretrained(final, safe_serialization=True)
    processor.save_pretrained(final)
    history = [h for h in trainer.state.log_history]
    (final / "simpleseg_model.json").write_text(json.dumps({
        **_card(recipe, kind, _answer_space(recipe), trainer.state.global_step),
        "resumed_from": str(resumed_from) if resumed_from else None,
        "seconds": round(time.time() - started, 2),
        "log_history": history,
    }, indent=2, default=str))
    return final


def _card(recipe: RecipeBase, kind: str, space: str, step: int) -> dict[str, Any]:
    """What ``simpleseg_model.json`` says of every saved model: its recipe, kind, answer space and step;
    a choice-trained model also how its answers are meant to snap (read by ``--snap``)."""
    card: dict[str, Any] = {"recipe": recipe.to_dict(), "kind": kind, "coord_space": space, "global_step": step}
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
