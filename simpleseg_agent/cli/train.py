"""``simpleseg train``: fine-tune with a recipe (SFT, GSPO, choice training)."""

from __future__ import annotations

import argparse
import re

from ..errors import SimpleSegError


def _first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line: a help text that ends where its sentence ends."""
    text = " ".join((doc or "").strip().split("\n\n")[0].split())
    return re.sub(r":\w+:`~?([^`]*)`", r"\1", text)  # :mod:`x` -> x


def _cmd_train(args: argparse.Namespace) -> int:
    from ..training.config import ChooseRecipe, GSPORecipe, SFTRecipe, overrides_from_args
    from ..training.recipes import find_recipe

    cls = {"sft": SFTRecipe, "gspo": GSPORecipe, "choose": ChooseRecipe}[args.stage]
    try:
        recipe = cls.from_yaml(find_recipe(args.recipe)).with_overrides(overrides_from_args(args))
    except (ValueError, FileNotFoundError) as exc:
        raise SimpleSegError(str(exc)) from None
    from ..training import runner

    run = {"sft": runner.run_sft, "gspo": runner.run_gspo, "choose": runner.run_choose}[args.stage]
    try:
        final = run(recipe)
    except FileNotFoundError as exc:
        raise SimpleSegError(str(exc)) from None
    print(final)
    return 0


def add_train_commands(sub) -> None:
    """Register ``train`` (sft, gspo, choose) and ``data`` on ``sub`` (argparse subparsers)."""
    p = sub.add_parser("train", help="fine-tune with a recipe: SFT, then GSPO (and choice training for snapping)")
    stages = p.add_subparsers(dest="stage", required=True)
    from ..training.config import ChooseRecipe, GSPORecipe, SFTRecipe, add_recipe_arguments

    for stage, cls in (("sft", SFTRecipe), ("gspo", GSPORecipe), ("choose", ChooseRecipe)):
        q = stages.add_parser(stage, help=_first_paragraph(cls.__doc__))
        q.add_argument("--recipe", required=True, help="recipe YAML path or the name of a shipped recipe (e.g. tiny-cpu-sft)")
        add_recipe_arguments(q, cls)
        q.set_defaults(func=_cmd_train)

    p = sub.add_parser("data", help="training data: convert annotations, generate screens, build tasks")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    from ..training.data_cli import add_data_commands
    from ..training.synth.cli import add_synth_commands

    add_data_commands(data_sub)
    add_synth_commands(data_sub)
