"""The trainer's private methods that resuming patches still exist as they were checked (a new transformers
or TRL release that moves them fails here, with the versions, before a resumed run goes wrong)."""

from __future__ import annotations

import pytest

from simpleseg_agent.errors import ModelError
from simpleseg_agent.training.trainer_patches import CHECKED_VERSIONS, check_patchable, installed_versions

transformers = pytest.importorskip("transformers", reason="needs the [train] extra (transformers)")
trl = pytest.importorskip("trl", reason="needs the [train] extra (trl)")


@pytest.mark.parametrize("name", ["Trainer", "SFTTrainer", "GRPOTrainer"])
def test_the_installed_trainers_still_have_the_patched_methods(name) -> None:
    cls = getattr(transformers, name, None) or getattr(trl, name)
    try:
        check_patchable(cls)
    except ModelError as e:
        pytest.fail(f"the installed {installed_versions()} breaks the trainer patches checked against "
                    f"{CHECKED_VERSIONS}: {e}")


def test_a_trainer_without_a_patched_method_is_refused_with_the_versions() -> None:
    class FakeTrainer:  # a named fake: the method was renamed away in some future release
        def _load_callback_state(self) -> None: ...

    with pytest.raises(ModelError, match=r"_load_from_checkpoint.*transformers 5\.25\.0.*this is transformers"):
        check_patchable(FakeTrainer)


def test_a_patched_method_whose_parameters_moved_is_refused() -> None:
    class FakeTrainer:
        def _load_from_checkpoint(self, checkpoint, model=None, strict=True) -> None: ...
        def _load_callback_state(self) -> None: ...

    with pytest.raises(ModelError, match="takes .*strict"):
        check_patchable(FakeTrainer())
