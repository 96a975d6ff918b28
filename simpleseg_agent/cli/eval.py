"""``simpleseg eval``: RES / REC / click accuracy of a model on records.jsonl."""

from __future__ import annotations

import argparse
import json

from ..backends.presets import DEFAULT_MODEL
from ..errors import SimpleSegError
from ..tools.decoding import add_decoding_arguments, decoding_from_args
from .common import add_server_arguments, server_kwargs


def _cmd_eval(args: argparse.Namespace) -> int:
    from ..training.evaluate import evaluate

    kwargs = {"device": args.device} if args.device else {}
    kwargs.update(server_kwargs(args))
    try:
        report = evaluate(args.model, args.data, split=args.split, out_dir=args.out, batch_size=args.batch_size,
                          max_samples=args.max_samples, preset=args.preset, decoding=decoding_from_args(args),
                          baselines=[b for b in (args.baselines or "").split(",") if b], **kwargs)
    except FileNotFoundError as exc:
        raise SimpleSegError(str(exc)) from None
    print(json.dumps(report.to_json(with_samples=False)) if args.json else report.table())
    return 0


def add_eval_commands(sub) -> None:
    """Register ``eval`` on ``sub`` (argparse subparsers)."""
    p = sub.add_parser("eval", help="RES / REC / click accuracy of a model on records.jsonl")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"preset name, checkpoint folder, hub id or server URL (default: {DEFAULT_MODEL}, the shipped model)")
    p.add_argument("--preset", default=None, help="how to prompt / read the model (default: from the model)")
    p.add_argument("--data", required=True, help="records.jsonl (from simpleseg data synth/convert)")
    p.add_argument("--split", default=None, help="name of the split in the report (default: the file's stem)")
    p.add_argument("--out", default=None, help="folder for <split>.json and <split>.png")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-samples", type=int, default=None, help="evaluate the first N queries only")
    p.add_argument("--baselines", default=None, metavar="ocr,ocr-rapidocr,unsnapped",
                   help="also compute these baselines on the same queries (ocr: click the query's words read by Tesseract, "
                        "ocr-rapidocr: by PP-OCR; "
                        "unsnapped: the model's own answer without snapping), and break all down by source and element type")
    add_decoding_arguments(p)
    add_server_arguments(p)
    p.add_argument("--device", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_eval)
