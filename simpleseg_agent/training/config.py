"""Training recipes: dataclasses with help text, loaded from YAML, overridden from the command line.

A recipe file (a shipped one in ``simpleseg_agent/training/recipes/``, or your own YAML) holds the fields of :class:`SFTRecipe`, :class:`GSPORecipe` or
:class:`ChooseRecipe`; nested sections (``model:``, ``data:``) map to :class:`ModelConfig` and
:class:`DataConfig`. The command line is generated from the same fields (``--learning-rate 1e-4``, ``--model.lora true``), so
there is one place to document every knob.

Example:
    >>> r = SFTRecipe.from_dict({"name": "demo", "model": {"model": "./ckpt"}, "data": {"train": "./ds"}, "max_steps": 5})
    >>> r.max_steps, r.model.freeze_vision, r.output_dir
    (5, True, 'runs/demo')
    >>> SFTRecipe.from_dict({"name": "x", "model": {"model": "m"}, "data": {"train": "d"}, "lerning_rate": 1})
    Traceback (most recent call last):
    ...
    ValueError: unknown recipe field 'lerning_rate' in SFTRecipe; did you mean 'learning_rate'?
"""

from __future__ import annotations

import argparse
import difflib
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Optional, TypeVar

T = TypeVar("T")


def _help(text: str, default: Any = MISSING, factory: Any = MISSING):
    if factory is not MISSING:
        return field(default_factory=factory, metadata={"help": text})
    return field(default=default, metadata={"help": text})


@dataclass
class ModelConfig:
    """Which model to start from and which parameters to train."""

    model: str = _help("checkpoint folder, hub id or preset name to start from", "")
    lora: bool = _help("train LoRA adapters (PEFT) instead of all weights", False)
    qlora: bool = _help("LoRA on a 4-bit quantized base (needs a GPU and bitsandbytes)", False)
    lora_r: int = _help("LoRA rank", 16)
    lora_alpha: int = _help("LoRA alpha (scale = alpha / r)", 32)
    lora_dropout: float = _help("LoRA dropout", 0.05)
    lora_target_modules: str = _help("modules LoRA wraps ('all-linear' or comma-separated names)", "all-linear")
    freeze_vision: bool = _help("keep the vision tower frozen (train the language model and merger)", True)
    dtype: str = _help("auto | float32 | bfloat16 | float16 (auto: bf16 on GPUs that have it, else fp32)", "auto")
    trust_remote_code: bool = _help("allow the checkpoint's own code (SimpleSeg-Kimi-VL needs it)", False)
    max_pixels: Optional[int] = _help("train at this image budget (pixels of the resized image; the saved processor "
                                      "keeps it, so the model answers at it too); default: the checkpoint's", None)

    def __post_init__(self) -> None:
        if self.lora_r < 1 or self.lora_alpha < 1:
            raise ValueError("lora_r and lora_alpha must be >= 1")
        if self.max_pixels is not None and (isinstance(self.max_pixels, bool) or not isinstance(self.max_pixels, int)
                                            or self.max_pixels < 28 * 28):
            raise ValueError(f"max_pixels must be an int >= 784 (one 28 x 28 image token), got {self.max_pixels!r}")
        if self.dtype not in ("auto", "float32", "bfloat16", "float16"):
            raise ValueError(f"dtype must be auto, float32, bfloat16 or float16, got {self.dtype!r}")
        if self.qlora:
            self.lora = True


@dataclass
class DataConfig:
    """Where the training data is: a dataset folder from ``simpleseg data build-tasks``, or a
    ``records.jsonl`` turned into tasks on the fly."""

    train: str = _help("training data: a saved dataset folder or a records.jsonl", "")
    eval: Optional[str] = _help("evaluation data (same forms), optional", None)
    max_samples: Optional[int] = _help("use at most this many training rows", None)
    task_mix: str = _help("task mix when building from records, e.g. 'text2mask=0.6,text2box=0.2,text2point=0.2'", "")
    seed: int = _help("seed of the task builder", 0)
    style: str = _help("answer style when building from records: reference ([0.123, 0.456]) or compact (0-999 integers)",
                       "reference")
    samples_per_record: int = _help("samples drawn from each record when building from records", 1)
    turns_per_row: int = _help("SFT: questions about the same image per multi-turn row (the image is encoded once)", 1)
    vertex_order: str = _help("outline order in mask answers: clockwise (the reference) or random (an ablation)",
                              "clockwise")
    simplify_eps_frac: float = _help("Douglas-Peucker on mask answers at this fraction of the perimeter (0: as recorded)",
                                     0.0)
    target_style: str = _help("how targets are written when building from records: auto (as the starting model "
                              "writes its answers: released for simpleseg-qwen2.5-vl, simpleseg-kimi-vl and models "
                              "fine-tuned on released targets, else canonical), canonical (clockwise from the "
                              "top-most vertex, 0.250) or released (OpenCV's vertex order, 0.25)", "auto")

    def __post_init__(self) -> None:
        if self.target_style not in ("auto", "canonical", "released"):
            raise ValueError(f"target_style must be auto, canonical or released, got {self.target_style!r}")


@dataclass
class RecipeBase:
    """The fields every recipe has (SFT, GSPO, choose): its name, model, data and run settings."""

    name: str = _help("recipe name (also the default output folder runs/<name>)", "run")
    model: ModelConfig = _help("the model section", factory=ModelConfig)
    data: DataConfig = _help("the data section", factory=DataConfig)
    output_dir: str = _help("where checkpoints go (default runs/<name>)", "")
    max_steps: int = _help("optimizer steps (-1: use num_train_epochs)", -1)
    num_train_epochs: float = _help("epochs when max_steps is -1", 1.0)
    per_device_train_batch_size: int = _help("batch size per device", 8)
    gradient_accumulation_steps: int = _help("micro-batches per optimizer step", 1)
    learning_rate: float = _help("peak learning rate", 1e-5)
    lr_scheduler_type: str = _help("transformers scheduler name (cosine, linear, constant_with_warmup, ...)", "cosine")
    lr_scheduler_kwargs: str = _help("scheduler options as key=value pairs, e.g. 'num_decay_steps=200' for "
                                     "warmup_stable_decay (constant, then a decay over the last 200 steps)", "")
    warmup_ratio: float = _help("fraction of steps for warm-up", 0.03)
    weight_decay: float = _help("AdamW weight decay", 0.0)
    logging_steps: int = _help("log every N steps", 10)
    save_steps: int = _help("checkpoint every N steps (resume picks the last one)", 500)
    save_total_limit: Optional[int] = _help("keep at most this many checkpoints", 3)
    seed: int = _help("training seed", 42)
    bf16: Optional[bool] = _help("bfloat16 mixed precision (default: on when the GPU supports it)", None)
    gradient_checkpointing: bool = _help("trade compute for memory (off on CPU)", True)
    resume: str = _help("'auto' (resume from the last checkpoint in output_dir if any), 'never', or a checkpoint path", "auto")
    num_threads: Optional[int] = _help("torch CPU threads (None: torch's default)", None)
    report_to: str = _help("comma-separated loggers (tensorboard, wandb) or 'none'", "none")

    def __post_init__(self) -> None:
        if isinstance(self.model, dict):
            self.model = ModelConfig(**self.model)
        if isinstance(self.data, dict):
            self.data = DataConfig(**self.data)
        if not self.output_dir:
            self.output_dir = str(Path("runs") / self.name)
        if self.max_steps == 0 or self.max_steps < -1:
            raise ValueError(f"max_steps must be -1 (use epochs) or positive, got {self.max_steps}")
        if self.per_device_train_batch_size < 1 or self.gradient_accumulation_steps < 1:
            raise ValueError("per_device_train_batch_size and gradient_accumulation_steps must be >= 1")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        self.scheduler_kwargs()  # refuse a malformed value when the recipe is read, not when training starts

    def scheduler_kwargs(self) -> dict[str, Any]:
        """``lr_scheduler_kwargs`` as the dict transformers takes (numbers as numbers).

        Example:
            >>> GSPORecipe(lr_scheduler_kwargs="num_decay_steps=200, min_lr_ratio=0.1").scheduler_kwargs()
            {'num_decay_steps': 200, 'min_lr_ratio': 0.1}
        """
        out: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in self.lr_scheduler_kwargs.split(","))):
            key, sep, value = (x.strip() for x in part.partition("="))
            if not sep or not key or not value:
                raise ValueError(f"lr_scheduler_kwargs: expected key=value pairs separated by commas, got {part!r} "
                                 f"in {self.lr_scheduler_kwargs!r}")
            out[key] = _number_or_text(value)
        return out

    # construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Build from a plain dict, refusing unknown keys with a suggestion."""
        _check_keys(cls, data)
        kwargs = dict(data)
        for key, sub in (("model", ModelConfig), ("data", DataConfig)):
            if isinstance(kwargs.get(key), dict):
                _check_keys(sub, kwargs[key])
                kwargs[key] = sub(**kwargs[key])
        return cls(**kwargs)

    @classmethod
    def from_yaml(cls: type[T], path: str | Path) -> T:
        """Load a recipe file (see :func:`~simpleseg_agent.training.recipes.find_recipe`)."""
        import yaml

        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"recipe file not found: {p}")
        data = yaml.safe_load(p.read_text()) or {}
        kind = data.pop("kind", None)
        expected = {SFTRecipe: "sft", GSPORecipe: "gspo", ChooseRecipe: "choose"}[cls]
        if kind is not None and kind != expected:
            raise ValueError(f"{p} is a '{kind}' recipe, not '{expected}'")
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self: T, overrides: dict[str, Any]) -> T:
        """A copy with dotted overrides applied: ``{"max_steps": 5, "model.lora": True}``."""
        top: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {"model": {}, "data": {}}
        for key, value in overrides.items():
            head, _, rest = key.partition(".")
            if rest:
                if head not in nested:
                    raise ValueError(f"unknown section {head!r} in override {key!r}")
                nested[head][rest] = value
            else:
                top[key] = value
        _check_keys(type(self), top)
        out = replace(self, **top)
        for section, values in nested.items():
            if values:
                sub = getattr(out, section)
                _check_keys(type(sub), values)
                out = replace(out, **{section: replace(sub, **values)})
        return out


@dataclass
class SFTRecipe(RecipeBase):
    """Supervised fine-tuning: teaches the answer format and the basics (TRL's SFTTrainer)."""

    learning_rate: float = _help("peak learning rate", 1e-5)
    max_length: Optional[int] = _help("truncate sequences longer than this (None: never truncate)", None)
    assistant_only_loss: bool = _help("loss on the answer tokens only", True)


@dataclass
class GSPORecipe(RecipeBase):
    """GSPO: sequence-level GRPO with the IoU reward, starting from an SFT checkpoint (TRL's GRPOTrainer)."""

    learning_rate: float = _help("peak learning rate", 1e-6)
    num_generations: int = _help("answers sampled per prompt (the group size)", 8)
    steps_per_generation: Optional[int] = _help("optimizer steps per generation batch (GSPO: more than grad-accum steps)", None)
    max_completion_length: int = _help("answer budget in tokens (about 200 is the reference's sweet spot)", 256)
    temperature: float = _help("sampling temperature", 1.0)
    top_p: float = _help("nucleus sampling", 1.0)
    beta: float = _help("KL coefficient (GSPO: 0)", 0.0)
    epsilon: float = _help("lower clip range of the sequence-level ratio", 3e-4)
    epsilon_high: float = _help("upper clip range of the sequence-level ratio", 4e-4)
    w_iou: float = _help("reward weight of mask IoU (the main term)", 1.0)
    w_centroid: float = _help("reward weight of the centroid-distance term", 0.1)
    w_format: float = _help("reward weight of the format term", 0.1)
    use_vllm: bool = _help("generate with vLLM when it is installed (GPU)", False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.num_generations < 2:
            raise ValueError("num_generations must be >= 2: GRPO needs a group to compare answers")
        if self.epsilon <= 0 or self.epsilon_high < self.epsilon:
            raise ValueError("need 0 < epsilon <= epsilon_high")


@dataclass
class ChooseRecipe(RecipeBase):
    """Choice training: the model learns to pick, among the element boxes near a target, the target's
    (the decision snapping asks of it; :mod:`simpleseg_agent.training.choose`)."""

    learning_rate: float = _help("peak learning rate", 1e-5)
    n_candidates: int = _help("boxes the model chooses among in each example (the right one and wrong ones)", 16)
    sft_weight: float = _help("weight of the right box's per-token loss besides the choice's cross-entropy", 0.1)
    hard_negatives: int = _help("wrong boxes per example that fit the image's other labelled elements (the ones reading "
                                "confuses with the target); the rest are drawn near the target", 0)
    extent_negatives: int = _help("wrong boxes per example that overlap the target but fit it worse (its element "
                                  "outlined too tightly or too loosely): teaches how far an element extends", 0)
    snap_reach: float = _help("how the trained model is meant to snap (its model card says so; `--snap` reads it): "
                              "element boxes within this many times the answer's long side (100: the whole screen)",
                              100.0)
    snap_overlap_weight: float = _help("... and the nats one unit of overlap with its answer adds (0: its choice alone)",
                                       0.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_candidates < 2:
            raise ValueError(f"n_candidates must be >= 2, got {self.n_candidates}")
        if not 0 <= self.hard_negatives < self.n_candidates:
            raise ValueError(f"hard_negatives must be between 0 and n_candidates - 1, got {self.hard_negatives}")
        if not 0 <= self.extent_negatives < self.n_candidates - self.hard_negatives:
            raise ValueError(f"extent_negatives must be between 0 and n_candidates - hard_negatives - 1, "
                             f"got {self.extent_negatives}")
        for name in ("sft_weight", "snap_reach", "snap_overlap_weight"):
            value = getattr(self, name)
            if not (value >= 0 and value != float("inf")):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")


def _number_or_text(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _check_keys(cls: type, data: dict[str, Any]) -> None:
    names = [f.name for f in fields(cls)]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(names)}"
            raise ValueError(f"unknown recipe field {key!r} in {cls.__name__}{hint}")


# --- the command line, generated from the dataclasses ----------------------------------------


def _parse_value(text: str, annotation: Any) -> Any:
    hint = str(annotation)
    if text.lower() in ("none", "null") and "Optional" in hint or text.lower() in ("none", "null") and "None" in hint:
        return None
    if "bool" in hint:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    if "int" in hint and "float" not in hint:
        return int(text)
    if "float" in hint:
        return float(text)
    return text


def add_recipe_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add one ``--field`` option per recipe field (``--model.lora`` for nested ones), with its help."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        if is_dataclass(f.default_factory) if f.default_factory is not MISSING else False:  # type: ignore[arg-type]
            sub = f.default_factory
            sub_hints = typing.get_type_hints(sub)
            for g in fields(sub):
                parser.add_argument(
                    f"--{f.name}.{g.name}", dest=f"override::{f.name}.{g.name}", default=None, metavar=g.name.upper(),
                    type=lambda s, a=sub_hints[g.name]: _parse_value(s, a), help=g.metadata.get("help", ""),
                )
            continue
        parser.add_argument(
            f"--{f.name.replace('_', '-')}", dest=f"override::{f.name}", default=None, metavar=f.name.upper(),
            type=lambda s, a=hints[f.name]: _parse_value(s, a), help=f.metadata.get("help", ""),
        )


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The options the user gave, as dotted overrides for :meth:`RecipeBase.with_overrides`."""
    return {k.split("::", 1)[1]: v for k, v in vars(args).items() if k.startswith("override::") and v is not None}
