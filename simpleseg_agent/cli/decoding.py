"""The decoding options shared by ``segment``, ``eval``, ``click`` and ``demo``."""

from __future__ import annotations

import argparse


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
