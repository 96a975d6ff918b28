"""Every patch of a trainer's private methods, in one place, with the versions it was checked against.

TRL's trainers are transformers' ``Trainer``; two of its private methods are replaced per trainer
instance when a run resumes (:func:`load_weights_on_resume`):

- ``Trainer._load_from_checkpoint(resume_from_checkpoint, model=None)``: a full checkpoint's weights are
  read through ``from_pretrained`` (the trainer's plain state-dict load misses every renamed key of
  Qwen2.5-VL checkpoints) and copied in strictly;
- ``Trainer._load_callback_state()``: the resumed run keeps its recipe's save and logging cadence.

Private methods change without notice. :data:`CHECKED_VERSIONS` names the releases these patches were
checked against; :func:`check_patchable` fails loudly, naming the method, the installed versions and
these, when a trainer lacks a patched method or its signature moved. A test runs that check against the
installed transformers, so a new release that breaks the patches fails there first.

Example:
    >>> sorted(PATCHED_METHODS)
    ['_load_callback_state', '_load_from_checkpoint']
"""

from __future__ import annotations

import inspect
from pathlib import Path

from ..errors import ModelError

#: The releases the patches below were checked against (the trainer's private methods they replace).
CHECKED_VERSIONS: dict[str, str] = {"transformers": "5.25.0", "trl": "1.16.0"}
#: The trainer's private methods patched, and the parameters (after ``self``) each had when checked.
PATCHED_METHODS: dict[str, tuple[str, ...]] = {
    "_load_from_checkpoint": ("resume_from_checkpoint", "model"),
    "_load_callback_state": (),
}


def installed_versions() -> dict[str, str | None]:
    """The installed releases of the packages in :data:`CHECKED_VERSIONS` (``None``: not installed).

    Example:
        >>> sorted(installed_versions())
        ['transformers', 'trl']
    """
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in CHECKED_VERSIONS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def check_patchable(trainer) -> None:
    """Raise :class:`~simpleseg_agent.errors.ModelError` unless ``trainer`` (a trainer or its class) has
    every method of :data:`PATCHED_METHODS` with the parameters they were checked with.

    Example (a named fake trainer class without the methods):
        >>> class FakeTrainer: pass
        >>> try:
        ...     check_patchable(FakeTrainer)
        ... except ModelError as e:
        ...     print(str(e)[:58])
        FakeTrainer has no _load_from_checkpoint: the resume patch
    """
    cls = trainer if isinstance(trainer, type) else type(trainer)
    checked = ", ".join(f"{k} {v}" for k, v in CHECKED_VERSIONS.items())
    installed = ", ".join(f"{k} {v}" for k, v in installed_versions().items())
    where = "simpleseg_agent/training/trainer_patches.py"
    for name, params in PATCHED_METHODS.items():
        method = getattr(cls, name, None)
        if method is None or not callable(method):
            raise ModelError(f"{cls.__name__} has no {name}: the resume patches of {where} were checked against "
                             f"{checked}, this is {installed}; check them against the new release")
        got = tuple(p for p in inspect.signature(method).parameters if p != "self")
        if got != params:
            raise ModelError(f"{cls.__name__}.{name} takes {got}, not {params}: the resume patches of {where} were "
                             f"checked against {checked}, this is {installed}; check them against the new release")


def load_checkpoint_weights(trainer, checkpoint: str) -> None:
    """Load ``checkpoint``'s weights into ``trainer``'s model the trainer's way (patched or not)."""
    check_patchable(trainer)
    trainer._load_from_checkpoint(checkpoint)


def load_weights_on_resume(trainer) -> None:
    """Make ``trainer`` restore a checkpoint's weights the way ``from_pretrained`` reads them.

    The trainer's own resume loads ``model.safetensors`` with a plain ``load_state_dict(strict=False)``;
    Qwen2.5-VL checkpoints are saved under the architecture's original key names (``visual.*``,
    ``model.layers.*``), which ``from_pretrained`` renames (``model.visual.*``,
    ``model.language_model.*``) but a plain state-dict load does not: every key missed, the run went on
    from the weights it started with under the checkpoint's optimizer state, with only a warning.
    Here the checkpoint is read through ``from_pretrained`` and copied in strictly; a checkpoint whose
    weights still do not match is a :class:`~simpleseg_agent.errors.ModelError`. LoRA checkpoints
    (adapter files) keep the trainer's own loading. The save and logging cadence of the resumed run
    are the recipe's, not the checkpoint's.
    """
    check_patchable(trainer)
    original = trainer._load_from_checkpoint

    def load(resume_from_checkpoint: str, model=None) -> None:
        model = trainer.model if model is None else model
        folder = Path(resume_from_checkpoint)
        full = any((folder / n).is_file() for n in ("model.safetensors", "model.safetensors.index.json"))
        if hasattr(model, "peft_config") or not full:
            return original(resume_from_checkpoint, model)
        from ..errors import ModelError

        dtype = next(model.parameters()).dtype
        hint = "start a new output_dir or pass --resume never"
        saved = type(model).from_pretrained(str(folder), dtype=dtype)
        try:
            result = model.load_state_dict(saved.state_dict(), strict=False)
        except RuntimeError as e:  # shapes differ: another architecture's checkpoint
            detail = " ".join(str(e).split())[:300]
            raise ModelError(f"cannot resume from {folder}: its weights do not fit the model ({detail}); {hint}") from e
        finally:
            del saved
        if result.missing_keys or result.unexpected_keys:
            raise ModelError(
                f"cannot resume from {folder}: its weights do not match the model "
                f"(missing {result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]}); {hint}"
            )

    trainer._load_from_checkpoint = load
    # the trainer also takes the checkpoint's logging / save cadence over the one asked for now (only a
    # warning says so): a resumed run saves and logs as its recipe says
    load_callback_state = trainer._load_callback_state

    def load_state() -> None:
        args = trainer.args
        trainer.state.compute_steps(args, args.max_steps if args.max_steps > 0 else trainer.state.max_steps)
        load_callback_state()

    trainer._load_callback_state = load_state
