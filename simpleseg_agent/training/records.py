"""One record format for every data source: an image, what refers to an object, and its region.

Records are stored as JSON lines (``records.jsonl``) next to (or above) their images; image paths
are relative to the JSONL file's folder so a dataset folder can be moved. Regions are normalized,
in the documented vertex order (:meth:`simpleseg_agent.geometry.Region.canonical`), holes kept
when the source has them (the answer text holds outer rings only).

Example:
    >>> from simpleseg_agent.geometry import Region
    >>> r = Record("img/0.png", (640, 480), ["the OK button"], Region.from_polygons([[[0.1, 0.1], [0.3, 0.1], [0.3, 0.2], [0.1, 0.2]]]), label="button")
    >>> Record.from_json(r.to_json()).expressions, [round(v, 3) for v in r.point_norm]
    (['the OK button'], [0.2, 0.15])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import GeometryError
from ..geometry import Part, Region, click_target


@dataclass(frozen=True, eq=False)
class Record:
    """One object in one image.

    Attributes:
        image_path: path of the image, relative to the records file's folder (or absolute).
        image_wh: ``(width, height)`` in pixels.
        expressions: referring expressions naming this object (at least one).
        region: the object's region, normalized, canonical order.
        label: its category or element type (``"button"``, ``"person"``).
        source: where it came from (``"coco"``, ``"gui-synth"``...).
        record_id: a stable id within the source.
        meta: anything else worth keeping (element text, difficulty, attributes).
    """

    image_path: str
    image_wh: tuple[int, int]
    expressions: list[str]
    region: Region
    label: str = ""
    source: str = ""
    record_id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.expressions or not all(isinstance(e, str) and e.strip() for e in self.expressions):
            raise GeometryError(f"a record needs at least one non-empty referring expression, got {self.expressions!r}")
        w, h = self.image_wh
        if not (int(w) > 0 and int(h) > 0):
            raise GeometryError(f"image_wh must be positive, got {self.image_wh!r}")
        object.__setattr__(self, "image_wh", (int(w), int(h)))

    @property
    def xyxy_norm(self) -> np.ndarray:
        """The region's box ``[x1, y1, x2, y2]``, normalized."""
        return self.region.xyxy

    @property
    def point_norm(self) -> tuple[float, float]:
        """A point well inside the object (the click target), normalized."""
        return click_target(self.region, self.image_wh).xy_norm

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (polygons as nested lists, holes kept)."""
        return {
            "image_path": self.image_path,
            "image_wh": list(self.image_wh),
            "expressions": list(self.expressions),
            "parts": [
                {"outer": p.outer.round(6).tolist(), "holes": [h.round(6).tolist() for h in p.holes]}
                for p in self.region.parts
            ],
            "label": self.label,
            "source": self.source,
            "record_id": self.record_id,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """Inverse of :meth:`to_json`."""
        region = Region(Part(p["outer"], tuple(p.get("holes", ()))) for p in data["parts"])
        return cls(
            image_path=data["image_path"],
            image_wh=tuple(data["image_wh"]),
            expressions=list(data["expressions"]),
            region=region,
            label=data.get("label", ""),
            source=data.get("source", ""),
            record_id=data.get("record_id", ""),
            meta=dict(data.get("meta", {})),
        )


class ReasonLog:
    """Counting skipped items and remarks by reason, with a few examples each (a mixin for the stats
    dataclasses of converters and builders, which define ``skipped``, ``notes`` and ``examples``)."""

    max_examples = 5

    def skip(self, reason: str, detail: str = "") -> None:
        """Count one skipped item under ``reason``."""
        self.skipped[reason] += 1
        self._example(reason, detail)

    def note(self, kind: str, detail: str = "") -> None:
        """Count one non-fatal fix or remark."""
        self.notes[kind] += 1
        self._example(kind, detail)

    def _example(self, key: str, detail: str) -> None:
        if detail:
            shown = self.examples.setdefault(key, [])
            if len(shown) < self.max_examples:
                shown.append(detail)


def write_records(records: Iterable[Record], path: str | Path) -> int:
    """Write records as JSON lines (parent folders created); returns how many were written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(out)  # never leave a half-written file under the real name
    return n


def read_records(path: str | Path) -> Iterator[Record]:
    """Stream records from a JSON-lines file; a bad line raises with its line number."""
    with Path(path).open(encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield Record.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise GeometryError(f"{path}:{i}: not a valid record: {exc}") from None


def resolve_image(record: Record, records_file: str | Path) -> Path:
    """The record's image path resolved against the records file's folder."""
    p = Path(record.image_path)
    return p if p.is_absolute() else Path(records_file).resolve().parent / p


#: One source of :func:`merge_records`: ``(records_file, max_images, prefix)``, optionally with a ``keep`` filter.
MergeSource = (tuple[str | Path, int | None, str]
               | tuple[str | Path, int | None, str, Callable[[Record], bool]])


def merge_records(sources: Iterable[MergeSource], out: str | Path) -> dict[str, int]:
    """Write one ``records.jsonl`` from several: image paths made absolute, record ids prefixed.

    Args:
        sources: ``(records_file, max_images, prefix)`` or ``(records_file, max_images, prefix, keep)`` per
            source; ``max_images`` keeps the records of the file's first N images (``None``: all; an image's
            records are consecutive, as the generators write them); ``prefix`` goes before each record id
            (``"starter/000000-000"``) so ids stay unique across sources; ``keep`` (a record -> bool) keeps only
            the records it accepts (of those N images).
        out: the merged file (its folder is created).

    Returns:
        Records written per prefix.

    Example:
        >>> import tempfile, pathlib
        >>> from simpleseg_agent.geometry import Region
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> square = Region.from_polygons([[[0.1, 0.1], [0.3, 0.1], [0.3, 0.3], [0.1, 0.3]]])
        >>> rows = [Record(f"img/{i}.png", (64, 48), ["the box"], square, record_id=f"{i}") for i in (0, 0, 1)]
        >>> _ = (d / "a.jsonl").write_text("".join(json.dumps(r.to_json()) + "\\n" for r in rows))
        >>> merge_records([(d / "a.jsonl", 1, "a"), (d / "a.jsonl", None, "b")], d / "m" / "records.jsonl")
        {'a': 2, 'b': 3}
        >>> [r.record_id for r in read_records(d / "m" / "records.jsonl")][:3]
        ['a/0', 'a/0', 'b/0']
        >>> merge_records([(d / "a.jsonl", None, "c", lambda r: r.image_path.endswith("1.png"))], d / "k" / "records.jsonl")
        {'c': 1}
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as f:
        for source in sources:
            records_file, max_images, prefix = source[:3]
            keep = source[3] if len(source) > 3 else None
            images: set[str] = set()
            n = 0
            for record in read_records(records_file):
                if max_images is not None and record.image_path not in images and len(images) >= max_images:
                    break
                images.add(record.image_path)
                if keep is not None and not keep(record):
                    continue
                data = record.to_json()
                data["image_path"] = str(resolve_image(record, records_file))
                data["record_id"] = f"{prefix}/{record.record_id}"
                f.write(json.dumps(data) + "\n")
                n += 1
            counts[prefix] = counts.get(prefix, 0) + n
    tmp.replace(out)  # readers never see a half-written file
    return counts
