"""The ``simpleseg`` command line: answer text <-> polygons <-> masks, IoU and overlays.

Every subcommand exits 0 on success and 2 on bad input (a malformed answer, an unreadable image,
an impossible option), with a one-line reason on stderr, so scripts can rely on it::

    simpleseg parse "It is at [[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]." --json
    simpleseg parse "[500, 250]" --space 1000 --json
    simpleseg poly2mask "[[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]" --size 640x480 --out mask.png
    simpleseg mask2poly mask.png --budget 200
    simpleseg iou mask.png "$(simpleseg mask2poly mask.png --budget 100)"
    simpleseg overlay mask.png "[[[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]]" --out overlay.png
    simpleseg segment screen.png "the submit button" --model ./my-checkpoint --out found.png
    simpleseg serve --model ./my-checkpoint --port 8000     # then --model http://127.0.0.1:8000/v1
    simpleseg models

``segment`` exits 1 when the model's answer could not be used (the reason is on stderr, or in the
JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import SimpleSegError
from .agent import add_agent_commands
from .eval import add_eval_commands
from .geometry import add_geometry_commands
from .model import add_model_commands
from .train import add_train_commands


def build_parser() -> argparse.ArgumentParser:
    """The ``simpleseg`` argument parser, one subcommand group per module of this package.

    Example:
        >>> build_parser().parse_args(["iou", "a.png", "b.png"]).command
        'iou'
    """
    parser = argparse.ArgumentParser(prog="simpleseg", description="Polygon answers <-> masks, IoU, overlays.")
    parser.add_argument("--version", action="version", version=f"simpleseg-agent {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_geometry_commands(sub)
    add_model_commands(sub)
    add_train_commands(sub)
    add_eval_commands(sub)
    add_agent_commands(sub)
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
