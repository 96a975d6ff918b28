"""The unified-task builder: records -> TRL training rows for six tasks, written as Arrow datasets.

One record (an object, its expressions, its region) yields samples of these kinds:

============  ==================================  ==============================
kind          the user gives                      the model answers
============  ==================================  ==============================
text2mask     a referring expression              polygons ``[[[x, y], ...]]``
text2box      a referring expression              a box ``[x1, y1, x2, y2]``
text2point    a referring expression              a point ``[x, y]`` (the click target)
point2mask    the click target (or a point        polygons
              inside, ``point_query="inside"``)
box2mask      the object's box                    polygons
point2box     the click target                    a box
point2text    the click target                    the element's text, ``"Save"``
              (SFT only; GUI records of the kinds in :data:`READABLE_LABELS` with ``meta["text"]``)
============  ==================================  ==============================

Coordinates are normalized by the image width/height; polygons are the record's outer rings in
the canonical order (clockwise on screen, y pointing down). ``target_style="released"`` writes targets
the way the released SimpleSeg checkpoints write their answers, as the reference data script made
them: the record's region rasterized at its image size and traced again by OpenCV (its own vertex
order and start point, Douglas-Peucker at 0.001 of the perimeter), numbers as Python prints them
(``0.25``, not ``0.250``), so fine-tuning such a checkpoint does not fight its habits. Prompts are drawn from
:data:`simpleseg_agent.prompts.PROMPT_TEMPLATES`, answers from the reference answer phrases.

Row formats (what TRL 1.16 reads):

* SFT: ``{"images": [image], "messages": [user, assistant], "task", "record_id"}`` where the user
  message is ``{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}``
  and the assistant's ``{"role": "assistant", "content": [{"type": "text", "text": answer}]}``
  (``DataCollatorForVisionLanguageModeling`` fills the image placeholder from ``images``).
* GRPO: ``{"prompt": [user], "image": image, "task", "record_id", "gt_polygons", "gt_holes",
  "gt_xyxy", "gt_point", "image_wh"}``; GRPOTrainer passes every column but ``prompt`` to the
  reward functions as keyword arguments.

The kind of each sample follows the :class:`TaskMix` weights as closely as the data allows (a
running deficit per kind, with seeded jitter): counts match the mix within about one sample per
kind. A record whose expression names more than one object (``meta["ambiguous"]``) gets only point
and box queries. The same records and seed give the same rows in the same order. Bad records
(missing or unreadable image, size mismatch, empty or degenerate region, coordinates outside the
image, invalid JSON line) are skipped and counted in :class:`BuildStats` (``stats.json``).

Example:
    >>> TaskMix.parse("text2mask=3,box2mask=1").weights["text2mask"]
    0.75
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import tempfile
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..errors import GeometryError, PromptError, SimpleSegError
from ..geometry import Region, click_target, point_in_region
from ..grammar import format_box, format_point, format_polygons
from ..prompts import Query, build_prompt, training_answer
from .converters._common import DataError, read_image_info
from .records import ReasonLog, Record

TaskKind = Literal["text2mask", "text2box", "text2point", "point2mask", "box2mask", "point2box", "point2text"]

#: ``kind -> (query kind, answer kind)``.
TASK_SPEC: dict[str, tuple[str, str]] = {
    "text2mask": ("text", "mask"),
    "text2box": ("text", "box"),
    "text2point": ("text", "point"),
    "point2mask": ("point", "mask"),
    "box2mask": ("box", "mask"),
    "point2box": ("point", "box"),
    "point2text": ("point", "text"),
}
TASK_KINDS: tuple[str, ...] = tuple(TASK_SPEC)

#: Element kinds whose ``meta["text"]`` is drawn inside the element itself (a checkbox's or a field's
#: text is its label beside it), so reading at the element's click target gives that text.
READABLE_LABELS = frozenset({"button", "text", "link", "tab", "menu_item", "nav_item"})

#: Prompts of the reading task (``point2text``): the answer is the text shown at the point.
READ_TEMPLATES: tuple[str, ...] = (
    "What does the element at point {q} say?",
    "Read the text of the element at point {q}.",
    "Which text is shown at point {q}?",
)

_MIN_AREA_PX = 1.0
_COORD_SLACK = 1e-6  # rounding noise tolerated outside [0, 1]
_ASPECT_TOLERANCE = 0.01


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class TaskMix:
    """Relative weights of the six task kinds (normalized; 0 turns a kind off).

    Example:
        >>> m = TaskMix.parse("text2mask=0.5,text2box=0.2,point2mask=0.3")
        >>> m.text2point, round(m.weights["text2box"], 3)
        (0.0, 0.2)
        >>> TaskMix.parse(m.to_string()) == m
        True
    """

    text2mask: float = field(default=0.5, metadata=_help("expression -> polygons (the reference task)"))
    text2box: float = field(default=0.15, metadata=_help("expression -> box [x1, y1, x2, y2]"))
    text2point: float = field(default=0.1, metadata=_help("expression -> click point [x, y]"))
    point2mask: float = field(default=0.1, metadata=_help("point inside the object -> polygons"))
    box2mask: float = field(default=0.1, metadata=_help("box around the object -> polygons"))
    point2box: float = field(default=0.05, metadata=_help("point inside the object -> box"))
    point2text: float = field(default=0.0, metadata=_help("click target -> the element's text (reading; SFT only)"))

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise DataError(f"task mix: {f.name} must be a finite weight >= 0 (0 turns it off), got {v!r}")
            object.__setattr__(self, f.name, float(v))
        if sum(getattr(self, k) for k in TASK_KINDS) <= 0:
            raise DataError("task mix: every weight is 0; give at least one kind a positive weight, e.g. text2mask=1")

    @property
    def weights(self) -> dict[str, float]:
        """Weights normalized to sum 1, by kind."""
        total = sum(getattr(self, k) for k in TASK_KINDS)
        return {k: getattr(self, k) / total for k in TASK_KINDS}

    @classmethod
    def parse(cls, text: str) -> TaskMix:
        """From ``"text2mask=0.5,text2box=0.2"``; kinds not named get weight 0."""
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"task mix: expected 'kind=weight,...' such as 'text2mask=0.7,box2mask=0.3', got {text!r}")
        values: dict[str, float] = {}
        for item in text.split(","):
            if not item.strip():
                continue
            name, sep, value = item.partition("=")
            name = name.strip().replace("->", "2").replace("_", "")
            if not sep or name not in TASK_SPEC:
                raise DataError(f"task mix: {item.strip()!r} is not kind=weight with a kind among {', '.join(TASK_KINDS)}")
            try:
                values[name] = float(value)
            except ValueError:
                raise DataError(f"task mix: the weight of {name} must be a number, got {value.strip()!r}") from None
        return cls(**{k: values.get(k, 0.0) for k in TASK_KINDS})

    def to_string(self) -> str:
        return ",".join(f"{k}={getattr(self, k):g}" for k in TASK_KINDS if getattr(self, k) > 0)

    @classmethod
    def describe(cls) -> str:
        """The kinds and their defaults, for help texts."""
        return "; ".join(f"{f.name} ({f.metadata['help']}, default {f.default})" for f in fields(cls))


@dataclass(frozen=True)
class BuildOptions:
    """Options of the task builder (the ``build-tasks`` command line is generated from these fields)."""

    seed: int = field(default=0, metadata=_help("random seed: the same records and seed give the same rows"))
    style: Literal["reference", "compact"] = field(
        default="reference", metadata=_help("answer style: 'reference' ([0.123, 0.456]) or 'compact' (0-999 integers)")
    )
    samples_per_record: int = field(default=1, metadata=_help("samples drawn from each record"))
    point_query: Literal["click", "inside"] = field(
        default="click",
        metadata=_help("point queries at the object's click target, or at a random point inside it"),
    )
    vertex_order: Literal["clockwise", "random"] = field(
        default="clockwise",
        metadata=_help("outline order in mask answers: 'clockwise' from the top-most vertex (the reference), "
                       "or 'random' (random start and direction per ring; an ablation)"),
    )
    simplify_eps_frac: float = field(
        default=0.0,
        metadata=_help("simplify mask answers with Douglas-Peucker at this fraction of each ring's perimeter "
                       "(0: the records' polygons as they are; the ground truth of rewards is never simplified)"),
    )
    turns_per_row: int = field(
        default=1,
        metadata=_help("SFT: up to this many samples of the same image in one multi-turn conversation (the image "
                       "is encoded once per row; 1 = one question per row)"),
    )
    target_style: Literal["canonical", "released"] = field(
        default="canonical",
        metadata=_help("how targets are written: 'canonical' (clockwise from the top-most vertex, 0.250) or "
                       "'released' (as the released SimpleSeg checkpoints answer: OpenCV's vertex order, 0.25; "
                       "mask answers traced again at simplify_eps_frac, 0.001 when 0)"),
    )

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise DataError(f"seed must be an integer, got {self.seed!r}")
        if self.style not in ("reference", "compact"):
            raise DataError(f"style must be 'reference' or 'compact', got {self.style!r}")
        if isinstance(self.samples_per_record, bool) or not isinstance(self.samples_per_record, int) or self.samples_per_record < 1:
            raise DataError(f"samples_per_record must be an integer >= 1, got {self.samples_per_record!r}")
        if self.point_query not in ("click", "inside"):
            raise DataError(f"point_query must be 'click' or 'inside', got {self.point_query!r}")
        if self.vertex_order not in ("clockwise", "random"):
            raise DataError(f"vertex_order must be 'clockwise' or 'random', got {self.vertex_order!r}")
        if isinstance(self.simplify_eps_frac, bool) or not isinstance(self.simplify_eps_frac, (int, float)) \
                or not 0.0 <= self.simplify_eps_frac < 0.5:
            raise DataError(f"simplify_eps_frac must be a number in [0, 0.5), got {self.simplify_eps_frac!r}")
        if isinstance(self.turns_per_row, bool) or not isinstance(self.turns_per_row, int) or self.turns_per_row < 1:
            raise DataError(f"turns_per_row must be an integer >= 1, got {self.turns_per_row!r}")
        if self.target_style not in ("canonical", "released"):
            raise DataError(f"target_style must be 'canonical' or 'released', got {self.target_style!r}")
        if self.target_style == "released" and self.style != "reference":
            raise DataError("target_style 'released' writes the reference style (normalized decimals); "
                            f"it cannot be combined with style {self.style!r}")


@dataclass
class BuildStats(ReasonLog):
    """What a build did: rows per kind, records skipped by reason (written as ``stats.json``)."""

    format: str
    options: dict[str, Any] = field(default_factory=dict)
    mix: dict[str, float] = field(default_factory=dict)
    records_read: int = 0
    records_used: int = 0
    rows: int = 0
    rows_per_kind: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def reset(self) -> None:
        self.records_read = self.records_used = self.rows = 0
        for c in (self.rows_per_kind, self.skipped, self.notes):
            c.clear()
        self.examples.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "options": self.options,
            "mix": self.mix,
            "records_read": self.records_read,
            "records_used": self.records_used,
            "rows": self.rows,
            "rows_per_kind": {k: self.rows_per_kind.get(k, 0) for k in TASK_KINDS},
            "skipped": dict(sorted(self.skipped.items())),
            "notes": dict(sorted(self.notes.items())),
            "examples": dict(sorted(self.examples.items())),
        }

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in self.rows_per_kind.items() if v)
        text = f"{self.rows} {self.format} rows ({kinds}) from {self.records_used} of {self.records_read} records"
        if self.skipped:
            text += "; skipped " + ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()))
        return text


@dataclass(frozen=True)
class BuildResult:
    """A dataset written to disk: its folder, row count and stats. ``load()`` opens it."""

    out_dir: Path
    num_rows: int
    stats: BuildStats

    def load(self):
        return _datasets().load_from_disk(str(self.out_dir))


def _datasets():
    from .._optional import require

    return require("datasets", extra="train", feature="the task builder's datasets")


# --- reading records and images ------------------------------------------------------------------


def _iter_records(records: Iterable[Record] | str | Path) -> Iterator[Record | str]:
    """Records from a JSON-lines file or an iterable; a bad entry comes as a message instead."""
    if not isinstance(records, (str, Path)):
        for r in records:
            yield r if isinstance(r, Record) else f"expected a Record, got {type(r).__name__}"
        return
    path = Path(records)
    try:
        f = path.open(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read the records file {path}: {exc.strerror or exc}") from None
    with f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield Record.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError, SimpleSegError) as exc:
                yield f"{path}:{i}: {exc}"


class _Images:
    """Checks each image once (header only) and remembers the last few (records come grouped by image).

    Rows refer to images by absolute path; ``save_to_disk`` embeds the file bytes into the Arrow
    shards (the saved dataset is self-contained), a streamed dataset opens the files as it goes.
    """

    def __init__(self, keep: int = 1024) -> None:
        self.keep = keep
        self._cache: OrderedDict[Path, tuple[Any, tuple[int, int] | None, str]] = OrderedDict()

    def get(self, path: Path) -> tuple[Any, tuple[int, int] | None, str]:
        """``(dataset image value, seen size, "")`` or ``(None, None, reason)``."""
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        info = read_image_info(path)
        if isinstance(info, str):
            entry: tuple[Any, tuple[int, int] | None, str] = (None, None, info)
        else:
            entry = ({"bytes": None, "path": str(path.resolve())}, info.wh, "")
        self._cache[path] = entry
        if len(self._cache) > self.keep:
            self._cache.popitem(last=False)
        return entry


# --- geometry of one record ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    polygons: list[np.ndarray]
    holes: list[list[np.ndarray]]
    xyxy: tuple[float, float, float, float]
    point: tuple[float, float]
    region: Region


def _target(record: Record) -> _Target | str:
    """The record's answer geometry, or a skip reason."""
    region = record.region
    if region.is_empty:
        return "empty_mask"
    rings = [r for p in region.parts for r in p.rings]
    lo = min(float(r.min()) for r in rings)
    hi = max(float(r.max()) for r in rings)
    if lo < -_COORD_SLACK or hi > 1 + _COORD_SLACK:
        return "out_of_image"
    w, h = record.image_wh
    if region.area * w * h < _MIN_AREA_PX:
        return "degenerate_polygon"
    polygons = [np.clip(p.outer, 0.0, 1.0) for p in region.parts]
    holes = [[np.clip(hr, 0.0, 1.0) for hr in p.holes] for p in region.parts]
    pts = np.concatenate(polygons)
    x1, y1 = pts.min(axis=0)
    x2, y2 = pts.max(axis=0)
    if not (x2 > x1 and y2 > y1):
        return "degenerate_polygon"
    try:
        point = click_target(region, record.image_wh).xy_norm
    except GeometryError:
        return "degenerate_polygon"
    point = (min(max(point[0], 0.0), 1.0), min(max(point[1], 0.0), 1.0))
    return _Target(polygons, holes, (float(x1), float(y1), float(x2), float(y2)), point, region)


def _inside_point(t: _Target, rng: random.Random, tries: int = 64) -> tuple[float, float]:
    """A uniformly random point inside the region (rejection sampling in its box); the click target if none found."""
    x1, y1, x2, y2 = t.xyxy
    for _ in range(tries):
        xy = (rng.uniform(x1, x2), rng.uniform(y1, y2))
        if point_in_region(xy, t.region):
            return xy
    return t.point


# --- one sample ----------------------------------------------------------------------------------


def _pick_kind(allowed: list[str], weights: dict[str, float], counts: Counter, n: int, rng: random.Random) -> str:
    """The allowed kind furthest behind its share of ``n + 1`` samples (seeded jitter breaks ties)."""
    return max(allowed, key=lambda k: weights[k] * (n + 1) - counts[k] + rng.random())


def _sample_text(record: Record, t: _Target, kind: str, rng: random.Random, opts: BuildOptions) -> tuple[str, str]:
    query_kind, answer_kind = TASK_SPEC[kind]
    if query_kind == "text":
        query = Query.text(rng.choice(record.expressions))
    elif query_kind == "point":
        query = Query.point(_inside_point(t, rng) if opts.point_query == "inside" else t.point)
    else:
        query = Query.box(t.xyxy)
    if answer_kind == "text":
        return rng.choice(READ_TEMPLATES).format(q=query.rendered), json.dumps(_readable_text(record), ensure_ascii=False)
    prompt = build_prompt(query, answer_kind, rng=rng)
    numbers = "shortest" if opts.target_style == "released" else "fixed"
    if answer_kind == "mask":
        if opts.target_style == "released":
            polygons = _released_polygons(t, record.image_wh, opts.simplify_eps_frac or 0.001)
        elif opts.simplify_eps_frac:
            polygons = _simplified(t.polygons, record.image_wh, opts.simplify_eps_frac)
        else:
            polygons = t.polygons
        if opts.vertex_order == "random":
            polygons = [_shuffle_ring(p, rng) for p in polygons]
        coords = format_polygons(polygons, style=opts.style, numbers=numbers)
    elif answer_kind == "box":
        coords = format_box(t.xyxy, style=opts.style, numbers=numbers)
    else:
        coords = format_point(t.point, style=opts.style, numbers=numbers)
    return prompt, training_answer(coords, rng)


def _readable_text(record: Record) -> str | None:
    """The text drawn inside the element, when the record has one (see :data:`READABLE_LABELS`)."""
    text = record.meta.get("text") if isinstance(record.meta, dict) else None
    if record.label in READABLE_LABELS and isinstance(text, str) and text.strip():
        return text.strip()
    return None


def _simplified(polygons: list[np.ndarray], image_wh, eps_frac: float) -> list[np.ndarray]:
    """Douglas-Peucker in pixels at ``eps_frac`` of each ring's perimeter, back in normalized coordinates,
    clockwise from the top-most vertex again."""
    from ..geometry.contours import simplify_ring

    wh = np.asarray(image_wh, dtype=np.float64)
    rings = [simplify_ring(np.asarray(p, dtype=np.float64) * wh, eps_frac, None) / wh for p in polygons]
    return list(Region.from_polygons(rings).canonical().polygons)


def _released_polygons(t: _Target, image_wh, eps_frac: float) -> list[np.ndarray]:
    """The target's outline as the reference data script writes it: its region rasterized at the image's
    size, traced by OpenCV (OpenCV's order and start point), simplified at ``eps_frac`` of each perimeter.
    The canonical rings when the region is too small to trace."""
    from ..geometry import region_to_mask
    from ..geometry.contours import reference_polygons

    polygons = reference_polygons(region_to_mask(t.region, tuple(image_wh)), epsilon_frac=eps_frac)
    return polygons or t.polygons


def _shuffle_ring(ring: np.ndarray, rng: random.Random) -> np.ndarray:
    """The same closed outline from a random vertex, in a random direction."""
    ring = np.roll(np.asarray(ring), -rng.randrange(len(ring)), axis=0)
    return ring[::-1] if rng.random() < 0.5 else ring


def _merge_turns(rows: Iterable[dict[str, Any]], turns: int) -> Iterator[dict[str, Any]]:
    """Consecutive SFT rows showing the same image, merged into conversations of up to ``turns`` questions.

    The image stays in the first user message only; the later questions are text turns.
    """
    group: list[dict[str, Any]] = []

    def flush() -> dict[str, Any]:
        messages = list(group[0]["messages"])
        for row in group[1:]:
            user, answer = row["messages"]
            text = [c for c in user["content"] if c.get("type") == "text"]
            messages += [{"role": "user", "content": text}, answer]
        return {"images": group[0]["images"], "messages": messages,
                "task": ",".join(r["task"] for r in group), "record_id": ",".join(r["record_id"] for r in group)}

    for row in rows:
        if group and (len(group) >= turns or row["images"][0]["path"] != group[0]["images"][0]["path"]):
            yield flush()
            group = []
        group.append(row)
    if group:
        yield flush()


def _user_message(prompt: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "image", "text": None}, {"type": "text", "text": prompt}]}


def _row(fmt: str, record: Record, t: _Target, kind: str, image: Any, prompt: str, answer: str) -> dict[str, Any]:
    if fmt == "sft":
        return {
            "images": [image],
            "messages": [
                _user_message(prompt),
                {"role": "assistant", "content": [{"type": "text", "text": answer}]},
            ],
            "task": kind,
            "record_id": record.record_id,
        }
    return {
        "prompt": [_user_message(prompt)],
        "image": image,
        "task": kind,
        "record_id": record.record_id,
        "gt_polygons": [p.round(6).tolist() for p in t.polygons],
        "gt_holes": [[h.round(6).tolist() for h in hs] for hs in t.holes],
        "gt_xyxy": [round(v, 6) for v in t.xyxy],
        "gt_point": [round(v, 6) for v in t.point],
        "image_wh": list(record.image_wh),
    }


def iter_task_rows(
    records: Iterable[Record] | str | Path,
    *,
    format: Literal["sft", "grpo"] = "sft",
    mix: TaskMix | str | None = None,
    records_file: str | Path | None = None,
    options: BuildOptions | None = None,
    stats: BuildStats | None = None,
    progress: Any = None,
) -> Iterator[dict[str, Any]]:
    """The rows of a build, one at a time (images as ``datasets`` ``Image`` values: ``{"path": ..., "bytes": None}``).

    Args:
        records: a records JSON-lines file, or an iterable of :class:`Record`.
        format: ``"sft"`` or ``"grpo"`` (see the module docstring).
        mix: the task mix (a :class:`TaskMix` or its string form); default :class:`TaskMix()`.
        records_file: the file relative image paths are resolved against (default: ``records`` when
            it is a path, else the current folder).
        options: :class:`BuildOptions` (seed, answer style, ...).
        stats: filled while iterating (reset first).
        progress: a callable ``progress(n)`` told about each record read (a tqdm ``update``).
    """
    if format not in ("sft", "grpo"):
        raise DataError(f"format must be 'sft' or 'grpo', got {format!r}")
    mix = TaskMix.parse(mix) if isinstance(mix, str) else (mix or TaskMix())
    if format == "grpo" and mix.point2text > 0:
        raise DataError("point2text (reading) is an SFT task: its answers are text, not coordinates the GSPO "
                        "reward can score; give it weight 0 in GRPO mixes")
    opts = options or BuildOptions()
    stats = stats if stats is not None else BuildStats(format)
    stats.reset()
    weights = mix.weights
    positive = [k for k in TASK_KINDS if weights[k] > 0]
    visual = [k for k in positive if TASK_SPEC[k][0] != "text"]
    if records_file is None and isinstance(records, (str, Path)):
        records_file = records
    base = Path(records_file).resolve().parent if records_file is not None else Path.cwd()
    images = _Images()
    counts: Counter = Counter()
    for index, record in enumerate(_iter_records(records)):
        stats.records_read += 1
        if progress is not None:
            progress(1)
        if isinstance(record, str):
            stats.skip("invalid_record", record)
            continue
        what = f"record {record.record_id or index}"
        path = Path(record.image_path)
        path = path if path.is_absolute() else base / path
        image, seen_wh, reason = images.get(path)
        if image is None:
            stats.skip(reason, f"{what}: {path}")
            continue
        if seen_wh != record.image_wh:
            (rw, rh), (iw, ih) = record.image_wh, seen_wh
            if abs(rw / rh - iw / ih) / (iw / ih) > _ASPECT_TOLERANCE:
                stats.skip("image_size_mismatch", f"{what}: record says {rw}x{rh}, the image is {iw}x{ih}")
                continue
            stats.note("size_mismatch_rescaled", f"{what}: record says {rw}x{rh}, the image is {iw}x{ih}")
        target = _target(record)
        if isinstance(target, str):
            stats.skip(target, f"{what}: {record.region!r}")
            continue
        ambiguous = bool(record.meta.get("ambiguous"))
        allowed = visual if ambiguous else positive
        if "point2text" in allowed and _readable_text(record) is None:
            allowed = [k for k in allowed if k != "point2text"]
            if not allowed:  # the mix asks for reading only
                stats.skip("nothing_to_read", f"{what}: no text drawn inside a {record.label or 'unlabelled'} "
                                               "element and the mix has point2text only")
                continue
        if not allowed:
            stats.skip("ambiguous_text_only", f"{what}: its expression names several objects and the mix has text queries only")
            continue
        if ambiguous and len(visual) < len(positive):
            stats.note("ambiguous_visual_only", f"{what}: point and box queries only")
        rows = []
        try:
            for s in range(opts.samples_per_record):
                rng = random.Random(f"{opts.seed}:{index}:{s}")
                kind = _pick_kind(allowed, weights, counts + Counter(r["task"] for r in rows), stats.rows + len(rows), rng)
                prompt, answer = _sample_text(record, target, kind, rng, opts)
                rows.append(_row(format, record, target, kind, image, prompt, answer))
        except (GeometryError, PromptError) as exc:
            stats.skip("degenerate_polygon", f"{what}: {exc}")
            continue
        stats.records_used += 1
        for row in rows:
            counts[row["task"]] += 1
            stats.rows += 1
            stats.rows_per_kind[row["task"]] += 1
            yield row


# --- datasets ------------------------------------------------------------------------------------


def dataset_features(format: Literal["sft", "grpo"]):
    """The ``datasets.Features`` of the rows (images as the ``Image`` feature)."""
    ds = _datasets()
    Features, Image, List, Value = ds.Features, ds.Image, ds.List, ds.Value

    content = List({"type": Value("string"), "text": Value("string")})
    message = {"role": Value("string"), "content": content}
    if format == "sft":
        return Features(
            {"images": List(Image()), "messages": List(message), "task": Value("string"), "record_id": Value("string")}
        )
    if format != "grpo":
        raise DataError(f"format must be 'sft' or 'grpo', got {format!r}")
    return Features(
        {
            "prompt": List(message),
            "image": Image(),
            "task": Value("string"),
            "record_id": Value("string"),
            "gt_polygons": List(List(List(Value("float64")))),
            "gt_holes": List(List(List(List(Value("float64"))))),
            "gt_xyxy": List(Value("float64")),
            "gt_point": List(Value("float64")),
            "image_wh": List(Value("int64")),
        }
    )


def _fingerprint(format: str, mix: TaskMix, opts: BuildOptions, records: Any) -> str:
    # the build's scratch cache is private and deleted afterwards: this only spares datasets hashing the records
    source = str(Path(records).resolve()) if isinstance(records, (str, Path)) else type(records).__name__
    payload = json.dumps([format, asdict(mix), asdict(opts), source], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def build_task_dataset(
    records: Iterable[Record] | str | Path,
    out_dir: str | Path,
    *,
    format: Literal["sft", "grpo"],
    mix: TaskMix | str | None = None,
    seed: int = 0,
    records_file: str | Path | None = None,
    style: Literal["reference", "compact"] = "reference",
    samples_per_record: int = 1,
    point_query: Literal["click", "inside"] = "click",
    vertex_order: Literal["clockwise", "random"] = "clockwise",
    simplify_eps_frac: float = 0.0,
    turns_per_row: int = 1,
    target_style: Literal["canonical", "released"] = "canonical",
    overwrite: bool = False,
    progress: Any = None,
    writer_batch_size: int = 200,
) -> BuildResult:
    """Write the rows as a ``datasets`` Arrow dataset (``save_to_disk``) plus ``stats.json``.

    Rows are generated and written in batches (``Dataset.from_generator``, into a scratch folder
    removed afterwards), so memory stays bounded however many records there are; ``save_to_disk``
    embeds the image files' bytes, so the folder is self-contained. Raises :class:`DataError` when ``out_dir`` is not empty (unless
    ``overwrite``) or when no record was usable (the message lists the skip reasons).
    """
    Dataset = _datasets().Dataset

    mix = TaskMix.parse(mix) if isinstance(mix, str) else (mix or TaskMix())
    opts = BuildOptions(seed=seed, style=style, samples_per_record=samples_per_record, point_query=point_query,
                        vertex_order=vertex_order, simplify_eps_frac=simplify_eps_frac, turns_per_row=turns_per_row,
                        target_style=target_style)
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not overwrite:
            raise DataError(f"the output folder {out} is not empty; choose another or pass overwrite=True (--overwrite)")
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    stats = BuildStats(format, options=asdict(opts), mix=mix.weights)

    def generate():
        rows = iter_task_rows(records, format=format, mix=mix, records_file=records_file, options=opts,
                              stats=stats, progress=progress)
        yield from (_merge_turns(rows, opts.turns_per_row) if format == "sft" and opts.turns_per_row > 1 else rows)

    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".simpleseg-build-", dir=out.parent))
    try:
        try:
            ds = Dataset.from_generator(
                generate, features=dataset_features(format), cache_dir=str(scratch),
                fingerprint=_fingerprint(format, mix, opts, records), writer_batch_size=writer_batch_size,
            )
        except SimpleSegError:
            raise
        except Exception as exc:  # datasets wraps generator failures and refuses empty generators
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, SimpleSegError):
                raise cause from None
            if stats.rows == 0:
                ds = None
            else:
                raise
        if ds is None or stats.rows == 0:
            raise DataError(f"no usable record: {stats.summary()}")
        ds.save_to_disk(str(out))
        n = len(ds)
        del ds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    (out / "stats.json").write_text(json.dumps(stats.to_json(), indent=2) + "\n", encoding="utf-8")
    return BuildResult(out, n, stats)


def build_sft_dataset(records, out_dir, *, mix=None, seed: int = 0, records_file=None, style="reference", **kwargs) -> BuildResult:
    """SFT rows (``images`` + ``messages``) written to ``out_dir``; see :func:`build_task_dataset`."""
    return build_task_dataset(records, out_dir, format="sft", mix=mix, seed=seed, records_file=records_file,
                              style=style, **kwargs)


def build_grpo_dataset(records, out_dir, *, mix=None, seed: int = 0, records_file=None, style="reference", **kwargs) -> BuildResult:
    """GRPO rows (``prompt`` + ``image`` + ground truth) written to ``out_dir``; see :func:`build_task_dataset`."""
    return build_task_dataset(records, out_dir, format="grpo", mix=mix, seed=seed, records_file=records_file,
                              style=style, **kwargs)


def stream_task_dataset(
    records: Iterable[Record] | str | Path,
    *,
    format: Literal["sft", "grpo"],
    mix: TaskMix | str | None = None,
    seed: int = 0,
    records_file: str | Path | None = None,
    stats: BuildStats | None = None,
    **options: Any,
):
    """A ``datasets.IterableDataset`` of the rows, generated on the fly (nothing is written).

    ``records`` must be re-iterable (a file path or a list): each pass over the dataset reads
    them again. ``stats`` (optional) is refilled on each pass. ``options``: :class:`BuildOptions` fields.
    """
    IterableDataset = _datasets().IterableDataset

    if not isinstance(records, (str, Path)) and iter(records) is records:
        raise DataError("streaming reads the records on every pass: give a records file or a list, not an iterator")
    mix = TaskMix.parse(mix) if isinstance(mix, str) else (mix or TaskMix())
    opts = BuildOptions(seed=seed, **options)
    stats = stats if stats is not None else BuildStats(format, options=asdict(opts), mix=mix.weights)

    def generate():
        yield from iter_task_rows(records, format=format, mix=mix, records_file=records_file, options=opts, stats=stats)

    return IterableDataset.from_generator(generate, features=dataset_features(format))


__all__ = [
    "TASK_KINDS",
    "TASK_SPEC",
    "BuildOptions",
    "BuildResult",
    "BuildStats",
    "TaskKind",
    "TaskMix",
    "build_grpo_dataset",
    "build_sft_dataset",
    "build_task_dataset",
    "dataset_features",
    "iter_task_rows",
    "stream_task_dataset",
]
