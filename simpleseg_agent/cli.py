"""The ``simpleseg`` command line: answer text <-> polygons <-> masks, IoU and overlays.

Every subcommand exits 0 on success and 2 on bad input (a malformed answer, an unreadable image,
an impossible option), with a one-line reason on stderr, so scripts can rely on it::

    simpleseg parse "It is at [[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]." --json
    simpleseg parse "[500, 250]" --space 1000 --json
    simpleseg mask2poly mask.png --budget 200
    simpleseg poly2mask "[[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]" --size 640x480 --out mask.png
    simpleseg iou pred.png gt.png
    simpleseg overlay photo.jpg "[[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]" --out overlay.png
    simpleseg segment screen.png "the submit button" --model ./my-checkpoint --out found.png
    simpleseg serve --model ./my-checkpoint --port 8000     # then --model http://127.0.0.1:8000/v1
    simpleseg models

``segment`` exits 1 when the model's answer could not be used (the reason is on stderr, or in the
JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__
from .backends.presets import DEFAULT_MODEL
from .errors import ImageError, SimpleSegError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"width and height must be positive, got {text!r}")
    return w, h


def _text_arg(value: str) -> str:
    """``-`` reads the text from standard input."""
    return sys.stdin.read() if value == "-" else value


def read_mask_png(path: str | Path) -> np.ndarray:
    """Read a mask image: any pixel above 0 is foreground (0/1 and 0/255 PNGs both work).

    Example:
        >>> import tempfile, os
        >>> from PIL import Image
        >>> p = os.path.join(tempfile.mkdtemp(), "m.png")
        >>> Image.fromarray(np.array([[0, 255], [0, 0]], np.uint8)).save(p)
        >>> read_mask_png(p).tolist()
        [[False, True], [False, False]]
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("L"))
    except FileNotFoundError:
        raise ImageError(f"mask file not found: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"cannot read mask image {path}: {exc}") from None
    return arr > 0


def write_mask_png(mask: np.ndarray, path: str | Path) -> Path:
    """Write a bool mask as a 0/255 grayscale PNG (parent folders created)."""
    from PIL import Image

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask.astype(np.uint8) * 255).save(out, format="PNG")
    return out


def _region_from_text(text: str, *, space: str = "norm", size: tuple[int, int] | None = None):
    from .geometry import Region
    from .grammar import parse_answer

    parsed = parse_answer(text, kind="polygons", space=space, resolution_wh=size)
    return Region.from_polygons(parsed.polygons_xy_norm), parsed


def _cmd_parse(args: argparse.Namespace) -> int:
    from .grammar import parse_answer

    parsed = parse_answer(
        _text_arg(args.text), kind=args.kind, space=args.space, resolution_wh=args.size, out_of_range=args.out_of_range
    )
    result = {
        "kind": parsed.kind,
        "polygons_xy_norm": [p.round(6).tolist() for p in parsed.polygons_xy_norm],
        "xyxy_norm": None if parsed.xyxy_norm is None else parsed.xyxy_norm.round(6).tolist(),
        "xy_norm": None if parsed.xy_norm is None else parsed.xy_norm.round(6).tolist(),
        "truncated": parsed.truncated,
        "clamped": parsed.clamped,
        "dropped": parsed.dropped,
        "span": list(parsed.span),
    }
    if args.json:
        print(json.dumps(result))
    else:
        if parsed.kind == "polygons":
            print(f"{len(parsed.polygons_xy_norm)} polygon(s), {parsed.num_points} points"
                  + (" (truncated)" if parsed.truncated else ""))
        else:
            print(f"{parsed.kind}: {result['xyxy_norm'] or result['xy_norm']}")
    return 0


def _cmd_mask2poly(args: argparse.Namespace) -> int:
    from .geometry import mask_to_region
    from .grammar import format_polygons

    region = mask_to_region(
        read_mask_png(args.mask),
        epsilon_frac=args.epsilon,
        epsilon_px=args.epsilon_px,
        holes=args.holes,
        min_area_px=args.min_area,
        max_parts=args.max_parts,
        outline=args.outline,
        token_budget=args.budget,
        style=args.style,
    )
    if region.is_empty:
        raise SimpleSegError(f"the mask {args.mask} is empty: there is no polygon to write")
    if args.json:
        print(json.dumps({
            "text": format_polygons(region.polygons, style=args.style),
            "parts": [{"outer": p.outer.tolist(), "holes": [h.tolist() for h in p.holes]} for p in region.parts],
        }))
    else:
        print(format_polygons(region.polygons, style=args.style))
    return 0


def _cmd_poly2mask(args: argparse.Namespace) -> int:
    from .geometry import region_to_mask

    region, _ = _region_from_text(_text_arg(args.text), space=args.space, size=args.size)
    out = write_mask_png(region_to_mask(region, args.size), args.out)
    print(out)
    return 0


def _load_operand(value: str, size: tuple[int, int] | None, space: str):
    """A mask PNG path or polygon text -> ("mask", array) or ("region", Region)."""
    if Path(value).suffix.lower() in (".png", ".bmp", ".tif", ".tiff") or Path(value).is_file():
        return "mask", read_mask_png(value)
    region, _ = _region_from_text(value, space=space, size=size)
    return "region", region


def _cmd_iou(args: argparse.Namespace) -> int:
    from .geometry import mask_iou, region_iou, region_to_mask

    kinds = [_load_operand(v, args.size, args.space) for v in (args.a, args.b)]
    masks = [v for k, v in kinds if k == "mask"]
    if masks:
        h, w = masks[0].shape
        if args.size is not None and args.size != (w, h):
            raise SimpleSegError(f"--size {args.size[0]}x{args.size[1]} disagrees with the mask size {w}x{h}")
        arrays = [v if k == "mask" else region_to_mask(v, (w, h)) for k, v in kinds]
        iou = mask_iou(*arrays)
    else:
        if args.size is None:
            raise SimpleSegError("two polygon texts need --size WxH: the IoU is measured on the image's pixels")
        iou = region_iou(kinds[0][1], kinds[1][1], args.size)
    print(json.dumps({"iou": round(iou, 6)}) if args.json else f"{iou:.6f}")
    return 0


def _cmd_overlay(args: argparse.Namespace) -> int:
    from .geometry import click_target
    from .grammar import parse_answer
    from .overlay import save_overlay, to_rgb_array

    rgb = to_rgb_array(args.image)
    size = (rgb.shape[1], rgb.shape[0])
    parsed = parse_answer(_text_arg(args.text), space=args.space, resolution_wh=args.size or size)
    kwargs: dict = {}
    if parsed.kind == "polygons":
        from .geometry import Region

        region = Region.from_polygons(parsed.polygons_xy_norm)
        kwargs["polygons_xy_norm"] = region.polygons
        if args.click:
            kwargs["click_xy_norm"] = click_target(region, size).xy_norm
    elif parsed.kind == "box":
        kwargs["boxes_xyxy_norm"] = [parsed.xyxy_norm]
    else:
        kwargs["points_xy_norm"] = [parsed.xy_norm]
    out = save_overlay(rgb, args.out, label=args.label, **kwargs)
    print(out)
    return 0


def _cmd_segment(args: argparse.Namespace) -> int:
    from .images import load_image
    from .prompts import Query
    from .tools import SimpleSeg

    image = load_image(args.image)  # a bad image fails fast (exit 2), before a model is loaded
    if not (args.query.strip() or args.point or args.box):
        raise SimpleSegError("give a query, --point X,Y or --box X1,Y1,X2,Y2")
    query = args.query
    if args.point is not None:
        query = Query.point(args.point)
    elif args.box is not None:
        query = Query.box(args.box)
    backend_kwargs = {}
    if args.device:
        backend_kwargs["device"] = args.device
    tool = SimpleSeg(args.model, preset=args.preset, max_new_tokens=args.max_new_tokens, samples=args.samples,
                     temperature=args.temperature, seed=args.seed, constrained=args.constrained, snap=args.snap,
                     choose_only=args.choose_only, read_text=args.read_text, text_extent=args.text_extent,
                     shape_extent=args.shape_extent, kinds=args.kinds, **backend_kwargs)
    try:
        method = {"mask": tool.segment, "box": tool.locate_box, "point": tool.locate_point}[args.answer]
        result = method(image, query)
    finally:
        tool.close()
    if args.out and result.ok:
        from .overlay import save_overlay

        kwargs: dict = {}
        if args.answer == "mask":
            kwargs = {"polygons_xy_norm": [list(p) for p in result.polygons_xy_norm], "click_xy_norm": result.click.xy_norm}
        elif args.answer == "box":
            kwargs = {"boxes_xyxy_norm": [result.xyxy_norm], "click_xy_norm": result.click.xy_norm}
        else:
            kwargs = {"click_xy_norm": result.xy_norm}
        save_overlay(image, args.out, label=result.query, **kwargs)
    if args.json:
        print(result.model_dump_json())
    else:
        print(result.summary())
        if result.ok and args.out:
            print(f"overlay: {args.out}")
    if not result.ok:
        if not args.json:
            print(f"simpleseg segment: {result.error.kind}: {result.error.message}", file=sys.stderr)
        return 1
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from .backends import load_backend
    from .serve import serve_forever

    backend_kwargs = {"device": args.device} if args.device else {}
    backend = load_backend(args.model, preset=args.preset, **backend_kwargs)
    try:
        serve_forever(backend, args.host, args.port, model_name=args.name)
    finally:
        backend.close()
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .training.config import ChooseRecipe, GSPORecipe, SFTRecipe, overrides_from_args
    from .training.recipes import find_recipe

    cls = {"sft": SFTRecipe, "gspo": GSPORecipe, "choose": ChooseRecipe}[args.stage]
    try:
        recipe = cls.from_yaml(find_recipe(args.recipe)).with_overrides(overrides_from_args(args))
    except (ValueError, FileNotFoundError) as exc:
        raise SimpleSegError(str(exc)) from None
    from .training import runner

    run = {"sft": runner.run_sft, "gspo": runner.run_gspo, "choose": runner.run_choose}[args.stage]
    try:
        final = run(recipe)
    except FileNotFoundError as exc:
        raise SimpleSegError(str(exc)) from None
    print(final)
    return 0


#: The decoding switches: ``--x`` / ``--no-x``, each ``None`` (the preset's choice) unless given.
_DECODING_SWITCHES: tuple[tuple[str, str], ...] = (
    ("--constrained", "constrained decoding: only well-formed coordinate lists of the asked kind (local models; "
                      "default: the preset's choice)"),
    ("--snap", "snap outlines and boxes to the screen's elements (near the answer, or the whole screen for a "
               "choice-trained model), the model choosing among them (screenshots only; default: the preset's choice)"),
    ("--choose-only", "when snapping chooses among the whole screen and ignores the answer (a choice-trained model), "
                      "skip generating the answer: the model only scores the screen's elements (default: on wherever "
                      "it applies)"),
    ("--read-text", "when snapping, read the screen's words (Tesseract OCR) so that a text query picks the element "
                    "that says it (default: where the preset has a read weight and tesseract is installed)"),
    ("--text-extent", "when snapping picks a line of text, return its whole line's ink box grown by the preset's margin "
                      "instead of the grown box the model chose (default: where the preset has one)"),
    ("--shape-extent", "when snapping picks another shape, settle its outline from the pixels: a filled or bordered "
                       "element's own rounded corners, an icon's glyph grown by the preset's margin (default: where "
                       "the preset has one)"),
    ("--kinds", "when snapping, favour the elements whose pixels show the kind the query names (a switch's pill, a "
                "checkbox's or a maximize control's square, a dropdown's chevron, a field, an underlined link, and a "
                "toolbar icon's glyph where the screen shows none of the query's words; default: where the preset has "
                "a kind weight)"),
)


def add_consensus_arguments(p: argparse.ArgumentParser) -> None:
    """``--samples``, ``--temperature``, ``--seed``: consensus decoding of :class:`~simpleseg_agent.tools.SimpleSeg`."""
    p.add_argument("--samples", type=int, default=0, metavar="K",
                   help="consensus decoding: K sampled answers besides the greedy one, keep the one that agrees best "
                        "with the others (costs K + 1 answers per query; default 0: greedy)")
    p.add_argument("--temperature", type=float, default=0.7, help="sampling temperature of --samples (default 0.7)")
    p.add_argument("--seed", type=int, default=0, help="random seed of --samples (default 0)")
    for flag, text in _DECODING_SWITCHES:
        p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)


def _cmd_eval(args: argparse.Namespace) -> int:
    from .training.evaluate import evaluate

    kwargs = {"device": args.device} if args.device else {}
    try:
        report = evaluate(args.model, args.data, split=args.split, out_dir=args.out, batch_size=args.batch_size,
                          max_samples=args.max_samples, max_new_tokens=args.max_new_tokens, preset=args.preset,
                          samples=args.samples, temperature=args.temperature, seed=args.seed,
                          constrained=args.constrained, snap=args.snap, choose_only=args.choose_only,
                          read_text=args.read_text, text_extent=args.text_extent, shape_extent=args.shape_extent,
                          kinds=args.kinds, **kwargs)
    except FileNotFoundError as exc:
        raise SimpleSegError(str(exc)) from None
    print(json.dumps(report.to_json(with_samples=False)) if args.json else report.table())
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from .backends import PRESETS

    for name, p in PRESETS.items():
        print(f"{name:22s} {p.model_id:34s} {p.coord_space.value:5s} {p.description}")
    return 0


def _cmd_click(args: argparse.Namespace) -> int:
    from .agent.command import run_click

    return run_click(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import demo_command

    return demo_command(args)


def _floats(n: int):
    def parse(text: str) -> tuple[float, ...]:
        try:
            values = tuple(float(v) for v in text.replace(" ", "").split(","))
        except ValueError:
            values = ()
        if len(values) != n:
            raise argparse.ArgumentTypeError(f"expected {n} comma-separated numbers, got {text!r}")
        return values

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The ``simpleseg`` argument parser (subcommands: parse, mask2poly, poly2mask, iou, overlay)."""
    parser = argparse.ArgumentParser(prog="simpleseg", description="Polygon answers <-> masks, IoU, overlays.")
    parser.add_argument("--version", action="version", version=f"simpleseg-agent {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def space_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--space", choices=["norm", "1000", "px"], default="norm",
                       help="coordinate space of the answer: normalized 0-1 (SimpleSeg), 0-1000, or pixels")
        p.add_argument("--size", type=_size, default=None, metavar="WxH",
                       help="image size in pixels (needed for --space px, and to rasterize)")

    p = sub.add_parser("parse", help="parse a model answer into polygons / a box / a point")
    p.add_argument("text", help="the answer text ('-' reads standard input)")
    space_opts(p)
    p.add_argument("--kind", choices=["auto", "polygons", "box", "point"], default="auto")
    p.add_argument("--out-of-range", choices=["clamp", "reject"], default="clamp")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_parse)

    p = sub.add_parser("mask2poly", help="trace a mask PNG into answer text")
    p.add_argument("mask", help="mask image; pixels above 0 are the object")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--epsilon", type=float, default=0.001, help="Douglas-Peucker tolerance, fraction of perimeter")
    g.add_argument("--epsilon-px", type=float, default=None, help="Douglas-Peucker tolerance in pixels")
    g.add_argument("--budget", type=int, default=None, help="fit the answer into this many tokens (Qwen2.5)")
    p.add_argument("--holes", action="store_true", help="keep holes (shown with --json; the text has outer rings)")
    p.add_argument("--min-area", type=float, default=0.0, help="drop components smaller than this (pixels)")
    p.add_argument("--max-parts", type=int, default=None, help="keep the largest N components")
    p.add_argument("--outline", choices=["edge", "reference"], default="edge")
    p.add_argument("--style", choices=["reference", "compact"], default="reference")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_mask2poly)

    p = sub.add_parser("poly2mask", help="rasterize answer text into a mask PNG")
    p.add_argument("text", help="polygon answer text ('-' reads standard input)")
    p.add_argument("--size", type=_size, required=True, metavar="WxH")
    p.add_argument("--space", choices=["norm", "1000", "px"], default="norm")
    p.add_argument("--out", required=True, help="output PNG path")
    p.set_defaults(func=_cmd_poly2mask)

    p = sub.add_parser("iou", help="IoU of two masks or polygon texts")
    p.add_argument("a", help="mask PNG path or polygon text")
    p.add_argument("b", help="mask PNG path or polygon text")
    space_opts(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_iou)

    p = sub.add_parser("overlay", help="draw an answer on an image")
    p.add_argument("image")
    p.add_argument("text", help="answer text ('-' reads standard input)")
    space_opts(p)
    p.add_argument("--out", required=True, help="output PNG path")
    p.add_argument("--label", default=None)
    p.add_argument("--no-click", dest="click", action="store_false", help="do not mark the click target")
    p.set_defaults(func=_cmd_overlay)

    p = sub.add_parser("segment", help="ask a model for an object's outline (or box / point)")
    p.add_argument("image", help="image file")
    p.add_argument("query", nargs="?", default="", help="what to find, e.g. 'the submit button'")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"preset name, checkpoint folder, hub id or server URL (default: {DEFAULT_MODEL}, the shipped model)")
    p.add_argument("--preset", default=None, help="how to prompt / read the model (see 'simpleseg models')")
    p.add_argument("--answer", choices=["mask", "box", "point"], default="mask")
    p.add_argument("--point", type=_floats(2), default=None, metavar="X,Y", help="a point query (normalized)")
    p.add_argument("--box", type=_floats(4), default=None, metavar="X1,Y1,X2,Y2", help="a box query (normalized)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, auto (local models)")
    p.add_argument("--max-new-tokens", type=int, default=None)
    add_consensus_arguments(p)
    p.add_argument("--out", default=None, help="write an overlay PNG here")
    p.add_argument("--json", action="store_true", help="print the typed result as JSON")
    p.set_defaults(func=_cmd_segment)

    p = sub.add_parser("serve", help="serve a model over the OpenAI chat-completions API")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"preset name, checkpoint folder or hub id (default: {DEFAULT_MODEL})")
    p.add_argument("--preset", default=None)
    p.add_argument("--device", default=None)
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--name", default="simpleseg", help="model name reported at /v1/models")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("train", help="fine-tune with a recipe: SFT, then GSPO (and choice training for snapping)")
    stages = p.add_subparsers(dest="stage", required=True)
    from .training.config import ChooseRecipe, GSPORecipe, SFTRecipe, add_recipe_arguments

    for stage, cls in (("sft", SFTRecipe), ("gspo", GSPORecipe), ("choose", ChooseRecipe)):
        q = stages.add_parser(stage, help=cls.__doc__.splitlines()[0])
        q.add_argument("--recipe", required=True, help="recipe YAML path or the name of a shipped recipe (e.g. tiny-cpu-sft)")
        add_recipe_arguments(q, cls)
        q.set_defaults(func=_cmd_train)

    p = sub.add_parser("data", help="training data: convert annotations, generate screens, build tasks")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    from .training.data_cli import add_data_commands
    from .training.synth.cli import add_synth_commands

    add_data_commands(data_sub)
    add_synth_commands(data_sub)

    p = sub.add_parser("eval", help="RES / REC / click accuracy of a model on records.jsonl")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"preset name, checkpoint folder, hub id or server URL (default: {DEFAULT_MODEL}, the shipped model)")
    p.add_argument("--preset", default=None, help="how to prompt / read the model (default: from the model)")
    p.add_argument("--data", required=True, help="records.jsonl (from simpleseg data synth/convert)")
    p.add_argument("--split", default=None, help="name of the split in the report (default: the file's stem)")
    p.add_argument("--out", default=None, help="folder for <split>.json and <split>.png")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-samples", type=int, default=None, help="evaluate the first N queries only")
    p.add_argument("--max-new-tokens", type=int, default=None)
    add_consensus_arguments(p)
    p.add_argument("--device", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("models", help="list the model presets")
    p.set_defaults(func=_cmd_models)

    from .agent.command import add_click_arguments

    p = sub.add_parser("click", help="find a query on the screen with a model and click it (--dry-run: only plan and draw)")
    add_click_arguments(p)
    p.set_defaults(func=_cmd_click)

    from .demo import add_demo_arguments

    p = sub.add_parser("demo", help="the model finds the Submit button on a generated screen or a real window (--click: and clicks it)")
    add_demo_arguments(p)
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (2 on bad input, with a one-line reason on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SimpleSegError as exc:
        print(f"simpleseg {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
