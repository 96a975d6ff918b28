"""``simpleseg data ...``: convert annotations into records, build TRL task datasets from records.

::

    simpleseg data convert coco instances_val2017.json --images val2017 --out data/coco.jsonl
    simpleseg data convert lvis lvis_v1_val.json --images coco --out data/lvis.jsonl --token-budget 200
    simpleseg data convert refcoco "refcoco/refs(unc).p" refcoco/instances.json --images train2014 --split val --out data/refcoco_val.jsonl
    simpleseg data convert masks --images photos --masks masks --out data/masks.jsonl
    simpleseg data convert gui elements.json --images screenshots --out data/gui.jsonl
    simpleseg data build-tasks data/coco.jsonl --out data/sft --format sft --mix text2mask=0.6,box2mask=0.2,point2mask=0.2 --seed 0

``convert`` writes the records (image paths relative to the records file) and a
``<name>.stats.json`` next to them, and prints what was skipped and why. ``build-tasks`` writes a
``datasets`` folder (``load_from_disk``) with a ``stats.json``. Bad input exits 2 with the reason.
The options of ``build-tasks`` and the geometry options of ``convert`` are generated from
:class:`~simpleseg_agent.training.tasks.BuildOptions` and
:class:`~simpleseg_agent.training.converters.GeometryOptions`.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from .converters._common import DataError, GeometryOptions


def _add_dataclass_options(parser: argparse.ArgumentParser, cls: type, *, skip: tuple[str, ...] = ()) -> None:
    """One ``--option`` per dataclass field: its type, default, choices (``Literal``) and help metadata."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        hint = hints[f.name]
        default = f.default if f.default is not MISSING else None
        if hint is bool:
            if default:
                parser.add_argument("--no-" + f.name.replace("_", "-"), dest=f.name, action="store_false",
                                    help=f"turn off: {help_text}")
            else:
                parser.add_argument(flag, dest=f.name, action="store_true", help=help_text)
            continue
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        origin = typing.get_origin(hint)
        if origin is typing.Literal:
            parser.add_argument(flag, dest=f.name, choices=list(args), default=default, help=f"{help_text} (default {default})")
            continue
        if origin in (typing.Union, types.UnionType):
            hint = args[0]
        parser.add_argument(flag, dest=f.name, type=hint, default=default,
                            help=f"{help_text} (default {default})" if default is not None else help_text)


def _geometry_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {f.name: getattr(args, f.name) for f in fields(GeometryOptions)}


def _tqdm():
    from .._optional import require

    return require("tqdm", extra="train", feature="progress bars of 'simpleseg data'").tqdm


def _write(conv, args: argparse.Namespace) -> int:
    from .records import write_records

    out = Path(args.out)
    bar = _tqdm()(conv, total=conv.total, unit="ann", desc=f"convert {conv.stats.source}", disable=args.quiet,
                  file=sys.stderr)
    n = write_records(bar, out)
    bar.close()
    stats_path = out.with_name(out.stem + ".stats.json")
    stats_path.write_text(json.dumps(conv.stats.to_json(), indent=2) + "\n", encoding="utf-8")
    print(conv.stats.summary(), file=sys.stderr)
    if n == 0:
        raise DataError(f"no record written to {out}; see {stats_path} for what was skipped and why")
    print(f"{n} records -> {out}")
    return 0


def _cmd_coco(args: argparse.Namespace) -> int:
    from .converters import convert_coco

    conv = convert_coco(
        args.annotations, args.images, category_as_expression=args.category_expression,
        include_crowd=args.include_crowd, bbox_fallback=args.bbox_fallback, source=args.source,
        relative_to=Path(args.out).resolve().parent, **_geometry_kwargs(args),
    )
    return _write(conv, args)


def _cmd_refcoco(args: argparse.Namespace) -> int:
    from .converters import convert_refcoco

    conv = convert_refcoco(
        args.refs, args.instances, args.images, split=args.split, source=args.source,
        relative_to=Path(args.out).resolve().parent, **_geometry_kwargs(args),
    )
    return _write(conv, args)


def _cmd_masks(args: argparse.Namespace) -> int:
    from .converters import convert_mask_folder

    conv = convert_mask_folder(
        args.images, args.masks, expressions_from=args.expressions_from, source=args.source,
        relative_to=Path(args.out).resolve().parent, **_geometry_kwargs(args),
    )
    return _write(conv, args)


def _cmd_gui(args: argparse.Namespace) -> int:
    from .converters import convert_gui_elements

    conv = convert_gui_elements(
        args.elements, args.images, min_area_px=args.min_area_px, max_expression_chars=args.max_expression_chars,
        source=args.source, relative_to=Path(args.out).resolve().parent,
    )
    return _write(conv, args)


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return None


def _cmd_build_tasks(args: argparse.Namespace) -> int:
    from .tasks import BuildOptions, TaskMix, build_task_dataset

    records = Path(args.records)
    if not records.is_file():
        raise DataError(f"records file not found: {records}")
    mix = TaskMix.parse(args.mix) if args.mix else TaskMix()
    options = {f.name: getattr(args, f.name) for f in fields(BuildOptions)}
    from .._optional import require

    datasets = require("datasets", extra="train", feature="simpleseg data build-tasks")
    bar = _tqdm()(total=_count_lines(records), unit="rec", desc=f"build {args.format}", disable=args.quiet, file=sys.stderr)
    restore = args.quiet and datasets.is_progress_bar_enabled()
    try:
        if restore:
            datasets.disable_progress_bars()
        result = build_task_dataset(records, args.out, format=args.format, mix=mix, overwrite=args.overwrite,
                                    progress=bar.update, **options)
    finally:
        bar.close()
        if restore:
            datasets.enable_progress_bars()
    print(result.stats.summary(), file=sys.stderr)
    print(f"{result.num_rows} rows -> {result.out_dir}")
    return 0


def add_data_commands(subparsers) -> None:
    """Add ``convert`` and ``build-tasks`` to an argparse subparsers object (the ``simpleseg data`` group).

    Each command sets ``func(args) -> int``; errors are :class:`~simpleseg_agent.errors.SimpleSegError`
    (exit status 2 in ``simpleseg``'s ``main``).

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="simpleseg data")
        >>> add_data_commands(parser.add_subparsers(dest="data_command", required=True))
        >>> args = parser.parse_args(["build-tasks", "r.jsonl", "--out", "ds", "--mix", "text2mask=1", "--seed", "3"])
        >>> args.seed, args.format, args.mix, args.style
        (3, 'sft', 'text2mask=1', 'reference')
    """
    from .tasks import BuildOptions, TaskMix

    convert = subparsers.add_parser("convert", help="convert annotations (COCO, LVIS, RefCOCO, mask PNGs, GUI elements) into records")
    formats = convert.add_subparsers(dest="source_format", required=True, metavar="{coco,lvis,refcoco,masks,gui}")

    def common(p: argparse.ArgumentParser, source: str, geometry: bool = True) -> None:
        p.add_argument("--out", required=True, help="records file to write (JSON lines), e.g. data/records.jsonl")
        p.add_argument("--source", default=source, help=f"the records' source name (default {source})")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        if geometry:
            _add_dataclass_options(p, GeometryOptions)

    for name in ("coco", "lvis"):
        p = formats.add_parser(name, help=f"{name.upper()} instance annotations (polygons or RLE)")
        p.add_argument("annotations", help="the annotation JSON file")
        p.add_argument("--images", required=True, help="folder the images' file_name is relative to")
        p.add_argument("--no-category-expression", dest="category_expression", action="store_false",
                       help="do not use the category name as the expression (annotations must carry 'expressions')")
        p.add_argument("--include-crowd", action="store_true", help="keep iscrowd regions (groups of objects)")
        p.add_argument("--bbox-fallback", action="store_true", help="use the box of annotations without segmentation")
        common(p, name)
        p.set_defaults(func=_cmd_coco)

    p = formats.add_parser("refcoco", help="RefCOCO / RefCOCO+ / RefCOCOg (REFER layout: refs(unc).p + instances.json)")
    p.add_argument("refs", help="refs(unc).p, refs(umd).p, or a JSON list of refs")
    p.add_argument("instances", help="instances.json of the same dataset")
    p.add_argument("--images", required=True, help="the COCO images folder (train2014)")
    p.add_argument("--split", default=None, help="keep only this split (train, val, testA, testB, test)")
    common(p, "refcoco")
    p.set_defaults(func=_cmd_refcoco)

    p = formats.add_parser("masks", help="a folder of mask PNGs (<image stem>__<label>.png, or JSON sidecars)")
    p.add_argument("--images", required=True, help="folder of the images")
    p.add_argument("--masks", required=True, help="folder of the mask PNGs (and sidecars)")
    p.add_argument("--expressions-from", choices=["filename", "sidecar"], default="filename",
                   help="labels from file names, or expressions from <image stem>.json sidecars")
    common(p, "masks")
    p.set_defaults(func=_cmd_masks)

    p = formats.add_parser("gui", help="GUI element annotations (boxes or polygons with role and text)")
    p.add_argument("elements", help="the element JSON file")
    p.add_argument("--images", required=True, help="folder of the screenshots")
    p.add_argument("--min-area-px", type=float, default=4.0, help="skip elements smaller than this many pixels")
    p.add_argument("--max-expression-chars", type=int, default=80, help="longer texts are not used as expressions")
    common(p, "gui", geometry=False)
    p.set_defaults(func=_cmd_gui)

    p = subparsers.add_parser("build-tasks", help="build an SFT or GRPO dataset (Arrow, load_from_disk) from records")
    p.add_argument("records", help="records file (JSON lines) written by 'convert' or a generator")
    p.add_argument("--out", required=True, help="output folder (must be empty unless --overwrite)")
    p.add_argument("--format", choices=["sft", "grpo"], default="sft",
                   help="sft: images + messages; grpo: prompt + image + ground truth for the reward")
    p.add_argument("--mix", default=None, metavar="KIND=W,...",
                   help="task weights, e.g. text2mask=0.6,box2mask=0.2,point2mask=0.2 (unnamed kinds: 0). "
                        f"Kinds: {TaskMix.describe()}")
    p.add_argument("--overwrite", action="store_true", help="replace the output folder")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_dataclass_options(p, BuildOptions)
    p.set_defaults(func=_cmd_build_tasks)
    __import__("simpleseg_agent.capture.cli", fromlist=["_"]).add_capture_commands(subparsers)  # simpleseg data capture


__all__ = ["add_data_commands"]
