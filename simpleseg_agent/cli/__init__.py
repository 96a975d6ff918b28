"""The ``simpleseg`` command line, one module per command group (see :mod:`.main` for the commands).

Example:
    >>> from simpleseg_agent.cli import build_parser
    >>> build_parser().parse_args(["parse", "[0.5, 0.25]"]).command
    'parse'
"""

from .common import read_mask_png, write_mask_png
from .decoding import add_consensus_arguments
from .main import build_parser, main

__all__ = ["add_consensus_arguments", "build_parser", "main", "read_mask_png", "write_mask_png"]
