"""``simpleseg segment``, ``serve``, ``models``: ask a model, serve it, list the presets."""

from __future__ import annotations

import argparse
import sys

from ..backends.presets import DEFAULT_MODEL
from ..errors import SimpleSegError
from .common import add_server_arguments, floats, server_kwargs
from .decoding import add_consensus_arguments


def _cmd_segment(args: argparse.Namespace) -> int:
    from ..images import load_image
    from ..prompts import Query
    from ..tools import SimpleSeg

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
    backend_kwargs.update(server_kwargs(args))
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
        from ..overlay import save_overlay

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
    from ..backends import load_backend
    from ..serve import serve_forever

    backend_kwargs = {"device": args.device} if args.device else {}
    backend = load_backend(args.model, preset=args.preset, **backend_kwargs)
    try:
        serve_forever(backend, args.host, args.port, model_name=args.name)
    finally:
        backend.close()
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from ..backends import PRESETS

    for name, p in PRESETS.items():
        print(f"{name:22s} {p.model_id:34s} {p.coord_space.value:5s} {p.description}")
    return 0


def add_model_commands(sub) -> None:
    """Register ``segment``, ``serve``, ``models`` on ``sub`` (argparse subparsers)."""
    p = sub.add_parser("segment", help="ask a model for an object's outline (or box / point)")
    p.add_argument("image", help="image file")
    p.add_argument("query", nargs="?", default="", help="what to find, e.g. 'the submit button'")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"preset name, checkpoint folder, hub id or server URL (default: {DEFAULT_MODEL}, the shipped model)")
    p.add_argument("--preset", default=None, help="how to prompt / read the model (see 'simpleseg models')")
    p.add_argument("--answer", choices=["mask", "box", "point"], default="mask")
    p.add_argument("--point", type=floats(2), default=None, metavar="X,Y", help="a point query (normalized)")
    p.add_argument("--box", type=floats(4), default=None, metavar="X1,Y1,X2,Y2", help="a box query (normalized)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, auto (local models)")
    p.add_argument("--max-new-tokens", type=int, default=None)
    add_consensus_arguments(p)
    add_server_arguments(p)
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

    p = sub.add_parser("models", help="list the model presets")
    p.set_defaults(func=_cmd_models)
