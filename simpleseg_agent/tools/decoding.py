"""How answers are produced and refined: one frozen :class:`Decoding`, the presets' defaults, and its resolution.

A :class:`Decoding` says everything :class:`~simpleseg_agent.tools.SimpleSeg` decides besides the model:
consensus sampling, constrained decoding, snapping to the screen's elements and what helps it choose (the
screen's words, the kinds of element), how a chosen outline is settled from the pixels, and the tuning
weights of those steps. A field left ``None`` is the model preset's choice (:meth:`Decoding.for_preset`);
:func:`resolve` turns it into the concrete configuration that runs, once, where the model is known, and
every result records that resolved configuration (``result.decoding``).

The command line's decoding flags are generated from the fields (:func:`add_decoding_arguments`,
:func:`decoding_from_args`), so ``segment``, ``eval``, ``click`` and ``demo`` take the same ones.

Example:
    >>> d = Decoding(samples=4, snap=False)
    >>> d.samples, d.snap, d.constrained  # constrained: the preset's choice
    (4, False, None)
    >>> Decoding.for_preset("simpleseg-gui-small").snap
    True
    >>> Decoding(samples=-1)
    Traceback (most recent call last):
    ...
    simpleseg_agent.errors.ModelError: Decoding.samples must be an int >= 0 (0: greedy only), got -1
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from ..errors import ModelError

OutOfRange = Literal["clamp", "reject"]
_WARNED_NO_TESSERACT = False
_WARNED_NO_OCR = False


def _help(text: str, default: Any = None, *, flag: bool = True) -> Any:
    """A dataclass field with its help text (read by the CLI generator); ``flag=False``: no CLI flag."""
    return field(default=default, metadata={"help": text, "flag": flag})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Decoding:
    """How :class:`~simpleseg_agent.tools.SimpleSeg` produces and refines its answers; ``None``: the preset's choice.

    Frozen and validated on construction (a :class:`~simpleseg_agent.errors.ModelError` says what was
    expected). :func:`resolve` fills every ``None`` for one model; the resolved copy is what runs.

    Example:
        >>> Decoding(snap=True, read_text=False).read_text
        False
        >>> Decoding(temperature=0)
        Traceback (most recent call last):
        ...
        simpleseg_agent.errors.ModelError: Decoding.temperature must be a finite number > 0, got 0
    """

    samples: int = _help("consensus decoding: K sampled answers besides the greedy one, keep the one that agrees best "
                         "with the others (costs K + 1 answers per query; 0: greedy)", 0)
    temperature: float = _help("sampling temperature of the samples", 0.7)
    seed: int | None = _help("random seed of the samples (sample k gets seed + k; None: unseeded)", 0)
    max_new_tokens: int | None = _help("answer budget per query (default: the preset's)")
    out_of_range: OutOfRange = _help("answers outside the image: clamp them to its border, or reject them", "clamp")
    constrained: bool | None = _help(
        "constrained decoding: only well-formed coordinate lists of the asked kind (local models; default: the "
        "preset's choice)")
    ground: bool | None = _help(
        "find a text query's target on the screen first, from its words (OCR) and element boxes: the words the "
        "query names, the control a label names, the order asked for; the model then only scores a shortlist of "
        "tied elements and answers where the words cannot decide (an element without words); a query whose named "
        "words are not on the screen is not found (screenshots only; default: the preset's choice)")
    ocr_engine: str | None = _help(
        "the OCR engine that reads the screen for grounding: 'tesseract', 'rapidocr' (PP-OCR, pip extra [ocr]), "
        "'tesseract+rapidocr' (Tesseract, then PP-OCR where Tesseract spells the query's words only in part), or "
        "'auto' (the best installed, in that order of preference: tesseract+rapidocr, rapidocr, tesseract)")
    snap: bool | None = _help(
        "snap outlines and boxes to the screen's elements (near the answer, or the whole screen for a "
        "choice-trained model), the model choosing among them (screenshots only; default: the preset's choice)")
    choose_only: bool | None = _help(
        "when snapping chooses among the whole screen and ignores the answer (a choice-trained model), skip "
        "generating the answer: the model only scores the screen's elements (default: on wherever it applies)")
    read_text: bool | None = _help(
        "when snapping, read the screen's words (Tesseract OCR) so that a text query picks the element that says "
        "it (default: where the preset has a read weight and tesseract is installed)")
    text_extent: bool | None = _help(
        "when snapping picks a line of text, return its whole line's ink box grown by the text grow instead of "
        "the grown box the model chose (default: where the preset has a text grow)")
    shape_extent: bool | None = _help(
        "when snapping picks another shape, settle its outline from the pixels: a filled or bordered element's "
        "own rounded corners, an icon's glyph grown by the icon grow (default: where the preset has one)")
    kinds: bool | None = _help(
        "when snapping, favour the elements whose pixels show the kind the query names (a switch's pill, a "
        "checkbox's or a maximize control's square, a dropdown's chevron, a field, an underlined link, and a "
        "toolbar icon's glyph where the screen shows none of the query's words; default: where the preset has "
        "a kind weight)")
    reach: float | None = _help(
        "snapping's candidates: the element boxes within this many times the answer's long side (0.5: near the "
        "answer; 100: the whole screen, for a model trained to choose among boxes)", flag=False)
    overlap_weight: float | None = _help(
        "nats one unit of a candidate's overlap (mask IoU) with the answer adds to its score (0: the model's "
        "choice alone)", flag=False)
    read_weight: float | None = _help(
        "nats one unit of match between a candidate's words and a text query's adds to its score (read_text)",
        flag=False)
    text_grow: float | None = _help(
        "a chosen line of text's ink box grows by this fraction of its height (text_extent)", flag=False)
    icon_grow: float | None = _help(
        "a chosen icon's glyph grows by this fraction of its short side (shape_extent)", flag=False)
    icon_round: float | None = _help(
        "... and its corners are rounded by this fraction of its short side (shape_extent)", flag=False)
    kind_weight: float | None = _help(
        "nats added to a candidate whose pixels show the kind of element the query names (kinds)", flag=False)

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> ModelError:
            return ModelError(f"Decoding.{name} must be {expected}, got {getattr(self, name)!r}")

        if not _is_int(self.samples) or self.samples < 0:
            raise bad("samples", "an int >= 0 (0: greedy only)")
        if not _is_number(self.temperature) or not 0 < self.temperature < math.inf:
            raise bad("temperature", "a finite number > 0")
        if self.seed is not None and not _is_int(self.seed):
            raise bad("seed", "an int or None (unseeded)")
        if self.max_new_tokens is not None and (not _is_int(self.max_new_tokens) or self.max_new_tokens < 1):
            raise bad("max_new_tokens", "an int >= 1 or None (the preset's)")
        if self.out_of_range not in ("clamp", "reject"):
            raise bad("out_of_range", "'clamp' or 'reject'")
        if self.ocr_engine is not None and self.ocr_engine not in OCR_ENGINES:
            raise bad("ocr_engine", "one of " + ", ".join(repr(e) for e in OCR_ENGINES) + " or None (the preset's)")
        for name in _SWITCHES:
            if not isinstance(getattr(self, name), (bool, type(None))):
                raise bad(name, "True, False or None (the preset's choice)")
        for name in ("reach", "overlap_weight", "read_weight", "kind_weight"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or not math.isfinite(value) or value < 0):
                raise bad(name, "a finite number >= 0 or None (the preset's)")
        for name, top in (("text_grow", 1.0), ("icon_grow", 1.0), ("icon_round", 0.5)):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or not math.isfinite(value) or not 0 <= value <= top):
                raise bad(name, f"a fraction in [0, {top:g}] or None (the preset's)")

    @classmethod
    def for_preset(cls, preset: Any) -> Decoding:
        """The default decoding of a model preset (a :class:`~simpleseg_agent.backends.base.ModelPreset` or its
        name): the registered one (:data:`PRESET_DECODINGS`), else for a checkpoint folder what its card
        declares about snapping (``"snap": {"reach": R, "overlap_weight": W}``, written by choice training;
        snapping itself stays off), else :data:`PLAIN`.

        Example:
            >>> Decoding.for_preset("qwen3-vl-8b") == PLAIN
            True
        """
        name = preset if isinstance(preset, str) else getattr(preset, "name", "")
        if name in PRESET_DECODINGS:
            return PRESET_DECODINGS[name].merged(PLAIN)
        model_id = "" if isinstance(preset, str) else getattr(preset, "model_id", "")
        return replace(PLAIN, **_card_snap(model_id)) if model_id else PLAIN

    def merged(self, defaults: Decoding) -> Decoding:
        """This decoding with each ``None`` field taken from ``defaults``.

        Example:
            >>> Decoding(samples=2).merged(Decoding(snap=True)).snap
            True
        """
        return replace(self, **{f.name: getattr(defaults, f.name) for f in fields(self) if getattr(self, f.name) is None})

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (what a result records).

        Example:
            >>> Decoding().to_dict()["samples"]
            0
        """
        return dataclasses.asdict(self)


_SWITCHES = ("constrained", "ground", "snap", "choose_only", "read_text", "text_extent", "shape_extent", "kinds")

#: The OCR engines grounding can read with (see ``Decoding.ocr_engine``).
OCR_ENGINES = ("auto", "tesseract", "rapidocr", "tesseract+rapidocr")

#: The defaults of a model without a registered decoding: plain generation, snapping near the answer when asked.
PLAIN = Decoding(constrained=False, ground=False, ocr_engine="auto", snap=False, reach=0.5, overlap_weight=100.0,
                 read_weight=0.0, icon_round=0.0, kind_weight=0.0)

#: Each named preset's default decoding, over :data:`PLAIN` (presets not named here decode as :data:`PLAIN`).
PRESET_DECODINGS: dict[str, Decoding] = {
    # the shipped default model (docs/default-model.md): its few broken lists become well-formed under the
    # grammar; trained to choose among the screen's element boxes, it picks from the whole screen by its own
    # likelihood; it cannot read its labels, so the screen's words pick between elements of the asked kind; a
    # chosen line of text takes its ink grown by the generator's label margin (15 % of its height), another
    # shape its outline from the pixels (an icon's glyph grown and rounded by a quarter of its short side);
    # its sense of kinds is weak, so the pixels' kinds add to its score; on real screens the words and the
    # layout find a named element far more often than the model does (docs/grounding.md), so grounding goes first
    "simpleseg-gui-small": replace(PLAIN, constrained=True, ground=True, snap=True, reach=100.0, overlap_weight=0.0,
                                   read_weight=7.0, text_grow=0.15, icon_grow=0.25, icon_round=0.25, kind_weight=7.0),
}


def _card_snap(model_id: str) -> dict[str, float]:
    """How a checkpoint folder's card says its answers snap, as :class:`Decoding` fields (``{}``: it says nothing)."""
    from ..backends.registry import read_model_card

    declared = read_model_card(model_id).get("snap")
    if not isinstance(declared, dict):
        return {}
    out = {}
    for key in ("reach", "overlap_weight"):
        value = declared.get(key)
        if value is None:
            continue
        if not _is_number(value) or not value >= 0 or value == math.inf:
            raise ModelError(f"{Path(model_id) / 'simpleseg_model.json'} declares snap {key} {value!r}; "
                             "expected a finite number >= 0")
        out[key] = float(value)
    return out


def resolve(decoding: Decoding | None, preset: Any, backend: Any) -> Decoding:
    """The decoding that runs: ``decoding``'s ``None`` fields filled from the preset's
    (:meth:`Decoding.for_preset`), then every switch settled for this ``backend``: constrained only where it
    masks tokens; ``choose_only`` wherever it applies; ``read_text`` where the weight is above 0 and
    ``tesseract`` is installed (a warning says so once where it is not); ``text_extent``, ``shape_extent``,
    ``kinds`` where the preset has their setting; all of them only with snapping. A switch asked ``True``
    where it cannot run is a :class:`~simpleseg_agent.errors.ModelError` (a missing ``tesseract`` a
    :class:`~simpleseg_agent.errors.MissingProgramError`). The resolved decoding has no ``None`` switch, and
    its weights are those used (0 or ``None`` where the step is off); resolving it again gives it back.

    Example (a named fake backend, which cannot score: no choice without an answer):
        >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
        >>> from simpleseg_agent.backends import PRESETS
        >>> r = resolve(Decoding(samples=2), PRESETS["simpleseg-gui-small"], FakeAnswerBackend([]))
        >>> r.constrained, r.snap, r.choose_only, r.samples
        (True, True, False, 2)
    """
    asked = decoding or Decoding()
    d = asked.merged(Decoding.for_preset(preset))
    can_mask = bool(getattr(backend, "supports_grammar", False))
    if asked.constrained and not can_mask:  # the preset's choice only applies where the backend can
        raise ModelError(f"constrained decoding needs a model this process decodes (a local checkpoint) or a "
                         f"server with guided decoding (simpleseg serve, vLLM); {type(backend).__name__} "
                         f"cannot constrain its answers: use constrained=False")
    snap = bool(d.snap)

    def needs_snap(name: str, why: str) -> None:
        if getattr(d, name) and not snap:
            raise ModelError(f"{name}: {why}, so it needs snap=True")

    why_not = why_not_choose_only(d, preset, backend)
    if d.choose_only and why_not:
        raise ModelError(f"choose_only: {why_not}")
    needs_snap("read_text", "the words pick among the screen's elements")
    needs_snap("text_extent", "it settles the extent of a snapped line of text")
    needs_snap("shape_extent", "it settles the outline of a snapped element")
    needs_snap("kinds", "the kinds pick among the screen's elements")
    read_text, read_weight = _reading(d, preset, snap)
    ground, engine = _grounding(d, asked, preset)
    from ..screen.elements import DEFAULT_ICON_GROW, DEFAULT_ICON_ROUND, DEFAULT_TEXT_GROW
    from ..screen.kinds import DEFAULT_KIND_WEIGHT

    text = snap and (d.text_extent or (d.text_extent is None and d.text_grow is not None))
    shape = snap and (d.shape_extent or (d.shape_extent is None and d.icon_grow is not None))
    kinds = snap and (d.kinds or (d.kinds is None and d.kind_weight > 0))
    return replace(
        d, constrained=can_mask and bool(d.constrained), ground=ground, ocr_engine=engine, snap=snap,
        choose_only=not why_not and d.choose_only is not False,
        read_text=read_text, read_weight=read_weight,
        text_extent=text, text_grow=float(DEFAULT_TEXT_GROW if d.text_grow is None else d.text_grow) if text else None,
        shape_extent=shape,
        icon_grow=(float(DEFAULT_ICON_GROW if d.icon_grow is None else d.icon_grow)) if shape else None,
        icon_round=(float(DEFAULT_ICON_ROUND if d.icon_grow is None else d.icon_round)) if shape else 0.0,
        kinds=kinds, kind_weight=float(d.kind_weight if d.kind_weight > 0 else DEFAULT_KIND_WEIGHT) if kinds else 0.0,
    )


def why_not_choose_only(decoding: Decoding, preset: Any, backend: Any) -> str:
    """Why choice decoding (``choose_only``) does not apply to ``decoding`` (its weights filled) on this
    model; empty when it does."""
    from ..grammar import CoordSpace
    from .snapping import chooses_whole_screen

    d = decoding
    if not d.snap:
        return "it chooses among the screen's elements, so it needs snap=True"
    if not chooses_whole_screen(d.reach, d.overlap_weight):
        return (f"{preset.name} snaps near its answer (reach {d.reach}, overlap_weight {d.overlap_weight}), so the "
                "answer decides; a choice-trained model's decoding has 100 and 0")
    if preset.prompt_style != "simpleseg" or preset.coord_space is CoordSpace.PIXELS:
        return f"{preset.name}'s answers are not written in this project's 0-1 or 0-1000 coordinate lists"
    if not getattr(backend, "supports_scoring", False):
        return f"{type(backend).__name__} cannot score answers (a local checkpoint can)"
    if d.samples:
        return "consensus decoding (samples > 0) compares generated answers"
    return ""


def _reading(d: Decoding, preset: Any, snap: bool) -> tuple[bool, float]:
    """Whether to read the screen's words when snapping, and their weight (see ``read_text``)."""
    from ..screen import words as reading

    weight = d.read_weight
    if d.read_text is False or (d.read_text is None and (weight <= 0 or not snap)):
        return False, 0.0
    if reading.tesseract_path() is None:
        if d.read_text:
            from ..errors import MissingProgramError

            raise MissingProgramError(reading.TESSERACT, reading.INSTALL_TESSERACT, "read_text (reading the screen's words)")
        global _WARNED_NO_TESSERACT
        if not _WARNED_NO_TESSERACT:
            _WARNED_NO_TESSERACT = True
            warnings.warn(f"{preset.name} snaps better when it reads the screen's words: install the Tesseract "
                          f"OCR program ({reading.INSTALL_TESSERACT}) or pass read_text=False to silence this",
                          stacklevel=4)
        return False, 0.0
    return True, float(weight if weight > 0 else reading.DEFAULT_READ_WEIGHT)


def _grounding(d: Decoding, asked: Decoding, preset: Any) -> tuple[bool, str | None]:
    """Whether grounding runs, and the concrete OCR engine it reads with (``None`` when it does not run)."""
    from ..screen.ocr import available_engine

    if not d.ground:
        return False, None
    engine = available_engine(d.ocr_engine or "auto")
    if engine is None:
        from ..errors import MissingProgramError
        from ..screen import words as reading

        if asked.ground:
            raise MissingProgramError(reading.TESSERACT, reading.INSTALL_TESSERACT, "ground (reading the screen's words)")
        global _WARNED_NO_OCR
        if not _WARNED_NO_OCR:
            _WARNED_NO_OCR = True
            warnings.warn(f"{preset.name} finds named elements far better when it reads the screen's words: install "
                          f"an OCR engine ({reading.INSTALL_TESSERACT}, or pip install 'simpleseg-agent[ocr]') or pass "
                          "ground=False to silence this", stacklevel=4)
        return False, None
    return True, engine


# the command line ------------------------------------------------------------------------------------------
def add_decoding_arguments(parser: argparse.ArgumentParser, *, defaults: Decoding | None = None) -> None:
    """Add one flag per :class:`Decoding` field that has one (``--samples``, ``--temperature``, ``--seed``,
    ``--max-new-tokens``, ``--out-of-range``, and ``--x``/``--no-x`` for each switch, ``None`` unless given),
    with the field's help; :func:`decoding_from_args` reads them back.

    Example:
        >>> p = argparse.ArgumentParser(); add_decoding_arguments(p)
        >>> decoding_from_args(p.parse_args(["--samples", "3", "--no-snap"])) == Decoding(samples=3, snap=False)
        True
    """
    base = defaults or Decoding()
    for f in fields(Decoding):
        if not f.metadata.get("flag"):
            continue
        flag = "--" + f.name.replace("_", "-")
        default = getattr(base, f.name)
        text = f.metadata["help"]
        if f.name in _SWITCHES:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=text)
        elif f.name == "out_of_range":
            parser.add_argument(flag, choices=("clamp", "reject"), default=default, help=f"{text} (default {default})")
        elif f.name == "ocr_engine":
            parser.add_argument(flag, choices=OCR_ENGINES, default=default, help=text)
        elif f.name == "temperature":
            parser.add_argument(flag, type=float, default=default, help=f"{text} (default {default:g})")
        else:
            parser.add_argument(flag, type=int, default=default, metavar="K" if f.name == "samples" else None,
                                help=text if default is None else f"{text} (default {default})")


def decoding_from_args(args: argparse.Namespace) -> Decoding:
    """The :class:`Decoding` of parsed arguments (those of :func:`add_decoding_arguments`; fields without a
    flag stay ``None``, the preset's).

    Example:
        >>> decoding_from_args(argparse.Namespace(samples=0, seed=1)) == Decoding(seed=1)
        True
    """
    return Decoding(**{f.name: getattr(args, f.name) for f in fields(Decoding)
                       if f.metadata.get("flag") and hasattr(args, f.name)})


__all__ = ["OCR_ENGINES", "PLAIN", "PRESET_DECODINGS", "Decoding", "add_decoding_arguments", "decoding_from_args", "resolve",
           "why_not_choose_only"]
