"""``simpleseg parse``, ``mask2poly``, ``poly2mask``, ``iou``, ``overlay``: answer text <-> polygons <-> masks."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import SimpleSegError
from .common import read_mask_png, region_from_text, size_wh, text_arg, write_mask_png


def _cmd_parse(args: argparse.Namespace) -> int:
    from ..grammar import parse_answer

    parsed = parse_answer(
        text_arg(args.text), kind=args.kind, space=args.space, resolution_wh=args.size, out_of_range=args.out_of_range
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
    from ..geometry import mask_to_region
    from ..grammar import format_polygons

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
    from ..geometry import region_to_mask

    region, _ = region_from_text(text_arg(args.text), space=args.space, size=args.size)
    out = write_mask_png(region_to_mask(region, args.size), args.out)
    print(out)
    return 0


def _is_mask_path(value: str) -> bool:
    """Whether an operand names a mask file rather than holding answer text.

    Answer text starts with ``[`` (or holds one, in a sentence); a path is an existing file or ends in an
    image suffix. The file system is asked only about short one-line strings: a long answer is not a
    file name and asking about it raises ``OSError: File name too long``.
    """
    text = value.strip()
    if text.startswith("[") or len(value) > 1024 or "\n" in value:
        return False
    try:
        if Path(value).is_file():
            return True
    except (OSError, ValueError):
        return False
    return "[" not in value and Path(value).suffix.lower() in (".png", ".bmp", ".tif", ".tiff")


def _load_operand(value: str, size: tuple[int, int] | None, space: str):
    """A mask PNG path or polygon text -> ("mask", array) or ("region", Region)."""
    if _is_mask_path(value):
        return "mask", read_mask_png(value)
    region, _ = region_from_text(value, space=space, size=size)
    return "region", region


def _cmd_iou(args: argparse.Namespace) -> int:
    from ..geometry import mask_iou, region_iou, region_to_mask

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
    from ..geometry import click_target
    from ..grammar import parse_answer
    from ..overlay import save_overlay, to_rgb_array

    rgb = to_rgb_array(args.image)
    size = (rgb.shape[1], rgb.shape[0])
    parsed = parse_answer(text_arg(args.text), space=args.space, resolution_wh=args.size or size)
    kwargs: dict = {}
    if parsed.kind == "polygons":
        from ..geometry import Region

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


def add_geometry_commands(sub) -> None:
    """Register ``parse``, ``mask2poly``, ``poly2mask``, ``iou``, ``overlay`` on ``sub`` (argparse subparsers)."""
    def space_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--space", choices=["norm", "1000", "px"], default="norm",
                       help="coordinate space of the answer: normalized 0-1 (SimpleSeg), 0-1000, or pixels")
        p.add_argument("--size", type=size_wh, default=None, metavar="WxH",
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
    p.add_argument("--size", type=size_wh, required=True, metavar="WxH")
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
