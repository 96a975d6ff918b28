"""``simpleseg data synth gui|anime``: write a synthetic dataset folder from the command line.

The options are generated from the config dataclasses (:class:`~.gui.GuiSynthConfig`,
:class:`~.anime.AnimeSynthConfig`): every field is an option with its help text, and options left
out keep the config's default (or the ``--difficulty`` preset). Pairs are written ``MIN,MAX``,
lists comma-separated::

    simpleseg data synth gui -n 8 --out data/gui --difficulty easy
    simpleseg data synth gui -n 2000 --out data/gui-hard --difficulty hard --workers 4 --seed 1
    simpleseg data synth anime -n 500 --out data/anime --difficulty medium --no-contact-sheet
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from typing import Any



def _pair(kind: type):
    def parse(text: str) -> tuple:
        try:
            values = tuple(kind(v) for v in text.replace(" ", "").split(","))
        except ValueError:
            values = ()
        if len(values) != 2:
            raise argparse.ArgumentTypeError(f"expected MIN,MAX (two {kind.__name__} values), got {text!r}")
        return values

    return parse


def _list(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def _add_config_arguments(parser: argparse.ArgumentParser, config_cls: type, choices: dict[str, Sequence[str]]) -> None:
    """One option per config field, typed from its annotation; unset options stay ``None``."""
    group = parser.add_argument_group(f"{config_cls.__name__} fields (unset: the difficulty preset / default)")
    for f in dataclasses.fields(config_cls):
        flag = "--" + f.name.replace("_", "-")
        ann = str(f.type)
        helptext = f.metadata.get("help", "")
        default = f.default if f.default is not dataclasses.MISSING else None
        if default is not None and not isinstance(default, tuple):
            helptext += f" (default: {default})"
        kw: dict[str, Any] = {"dest": f"cfg_{f.name}", "default": None, "help": helptext}
        if ann.startswith("tuple[int, int]"):
            kw.update(type=_pair(int), metavar="MIN,MAX")
        elif ann.startswith("tuple[float, float]"):
            kw.update(type=_pair(float), metavar="MIN,MAX")
        elif ann.startswith("tuple[str, ...]"):
            kw.update(type=_list, metavar="A,B,...")
        elif ann.startswith("bool"):
            kw.update(action=argparse.BooleanOptionalAction)
        elif ann.startswith("int"):
            kw.update(type=int, metavar="N")
        elif ann.startswith("float"):
            kw.update(type=float, metavar="X")
        else:
            kw.update(type=str)
        if f.name in choices:
            kw["choices"] = list(choices[f.name])
        group.add_argument(flag, **kw)


def _run(args: argparse.Namespace) -> int:
    config_cls, generator_cls = args.synth_classes
    values = {f.name: getattr(args, f"cfg_{f.name}") for f in dataclasses.fields(config_cls)}
    config = config_cls(**{k: v for k, v in values.items() if v is not None})
    generator = generator_cls(config)
    try:
        summary = generator.generate(args.n, args.out, seed=args.seed, progress=args.progress, workers=args.workers,
                                     contact_sheet=args.contact_sheet, overwrite=args.overwrite)
    finally:
        close = getattr(generator, "close", None)
        if close is not None:
            close()
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print(f"wrote {summary.images} images and {summary.records} records to {summary.out_dir} "
              f"({summary.records_file.name}) in {summary.seconds:.1f} s")
        if summary.contact_sheet is not None:
            print(f"contact sheet: {summary.contact_sheet}")
    return 0


def add_synth_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``synth gui|anime`` to an argparse ``subparsers`` object; returns the ``synth`` parser.

    Each leaf sets ``func`` (returns an exit status; raises :class:`SimpleSegError` on bad input).

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="simpleseg data")
        >>> _ = add_synth_commands(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["synth", "gui", "-n", "2", "--out", "/tmp/x", "--difficulty", "hard"])
        >>> args.n, args.cfg_difficulty, args.contact_sheet
        (2, 'hard', True)
    """
    from .anime import CATEGORIES, AnimeSceneGenerator, AnimeSynthConfig
    from .anime import DIFFICULTIES as ANIME_DIFFICULTIES
    from .gui import DIFFICULTIES, ENGINES, GuiScreenGenerator, GuiSynthConfig

    synth = subparsers.add_parser(
        "synth", help="generate synthetic training data: GUI screens or anime scenes",
        description="Write images/, records.jsonl and a contact sheet of synthetic screens or scenes.",
    )
    kinds = synth.add_subparsers(dest="synth_kind", required=True, metavar="{gui,anime}")
    table = (
        ("gui", GuiSynthConfig, GuiScreenGenerator, "synthetic GUI screens (windows, forms, menus, icons)",
         {"difficulty": DIFFICULTIES, "engine": ENGINES}),
        ("anime", AnimeSynthConfig, AnimeSceneGenerator, "synthetic cartoon scenes (characters, props, bubbles)",
         {"difficulty": ANIME_DIFFICULTIES}),
    )
    for name, config_cls, generator_cls, helptext, choices in table:
        p = kinds.add_parser(name, help=helptext, description=helptext)
        p.add_argument("-n", type=_positive_int, required=True, help="how many images")
        p.add_argument("--out", required=True, help="output folder (images/, records.jsonl, contact_sheet.png)")
        p.add_argument("--seed", type=int, default=0, help="run seed; image i depends on (seed, i) only (default: 0)")
        p.add_argument("--contact-sheet", action=argparse.BooleanOptionalAction, default=True,
                       help="write contact_sheet.png with the targets drawn in (default: on)")
        p.add_argument("--workers", type=_positive_int, default=1, help="processes (same output as 1; default: 1)")
        p.add_argument("--overwrite", action="store_true", help="replace a dataset already in --out")
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True, help="show a progress bar")
        p.add_argument("--json", action="store_true", help="print a JSON summary")
        _add_config_arguments(p, config_cls, choices)
        p.set_defaults(func=_run, synth_classes=(config_cls, generator_cls))
    kinds.choices["anime"].epilog = "categories: " + ", ".join(CATEGORIES)
    return synth
