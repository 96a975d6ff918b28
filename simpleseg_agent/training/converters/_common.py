"""What every converter shares: the stats of a run, image sizes, the checks a region must pass.

A converter is a function that validates its input files eagerly (a malformed file raises
:class:`DataError` at once) and returns a :class:`Conversion`: an iterator of
:class:`~simpleseg_agent.training.records.Record` that fills its :class:`ConversionStats` while it
runs. A bad annotation never stops a run: it is skipped and counted under a reason.

Example:
    >>> stats = ConversionStats("demo")
    >>> stats.skip("zero_area", "ann 7: area 0 px")
    >>> stats.skipped["zero_area"], stats.examples["zero_area"]
    (1, ['ann 7: area 0 px'])
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import GeometryError, SimpleSegError
from ...geometry import Region, mask_to_region, region_to_mask
from ..records import ReasonLog, Record

#: Image file extensions tried when a converter looks an image up by its stem.
IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")

_ASPECT_TOLERANCE = 0.01  # a declared size with the same aspect ratio (within 1 %) is a rescaled copy
_EXIF_ORIENTATION = 0x0112


class DataError(SimpleSegError, ValueError):
    """A dataset file, a record or a data-pipeline option is invalid (the message says how to fix it)."""


@dataclass
class ConversionStats(ReasonLog):
    """Counts of one conversion run.

    Attributes:
        source: the converter (``"coco"``, ``"refcoco"``, ...).
        seen: annotations (objects) looked at.
        written: records produced.
        filtered: annotations left out on purpose, by reason (``other_split``, ``crowd``).
        skipped: bad annotations by reason (``missing_image``, ``zero_area``, ``out_of_image``...).
        notes: non-fatal fixes by kind (``clipped``, ``size_mismatch_rescaled``, ``ambiguous``).
        examples: the first few messages of each skip reason and note.
    """

    source: str
    seen: int = 0
    written: int = 0
    filtered: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_skipped(self) -> int:
        return int(sum(self.skipped.values()))

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (reasons sorted)."""
        return {
            "source": self.source,
            "seen": self.seen,
            "written": self.written,
            "filtered": dict(sorted(self.filtered.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "notes": dict(sorted(self.notes.items())),
            "examples": dict(sorted(self.examples.items())),
        }

    def summary(self) -> str:
        """One line for a terminal: ``coco: 12 records from 15 annotations; skipped 3 (zero_area 2, ...)``."""
        text = f"{self.source}: {self.written} records from {self.seen} annotations"
        if self.filtered:
            text += ", filtered out " + ", ".join(f"{k} {v}" for k, v in sorted(self.filtered.items()))
        if self.skipped:
            text += f"; skipped {self.n_skipped} (" + ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) + ")"
        if self.notes:
            text += "; notes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.notes.items()))
        return text


class Conversion(Iterator[Record]):
    """The records of one conversion, produced lazily; :attr:`stats` fills while iterating.

    Attributes:
        stats: the run's :class:`ConversionStats`.
        total: how many annotations will be looked at, when known (for progress bars).
    """

    def __init__(self, produce: Callable[[ConversionStats], Iterator[Record]], source: str, total: int | None = None):
        self.stats = ConversionStats(source)
        self.total = total
        self._it = produce(self.stats)

    def __iter__(self) -> Conversion:
        return self

    def __next__(self) -> Record:
        record = next(self._it)
        self.stats.written += 1
        return record


@dataclass(frozen=True)
class ImageInfo:
    """An image file's location and size: ``wh`` as seen (EXIF orientation applied), ``raw_wh`` as stored."""

    path: Path
    wh: tuple[int, int]
    raw_wh: tuple[int, int]


def read_image_info(path: Path) -> ImageInfo | str:
    """Size of an image from its header (pixels are not decoded); a skip reason when it cannot be read.

    The size is the one the image is *seen* at, after its EXIF orientation, like
    :func:`simpleseg_agent.images.load_image` and ``datasets``' ``Image`` feature read it.
    """
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return "missing_image"
    try:
        with Image.open(path) as im:
            raw = (int(im.width), int(im.height))
            orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return "unreadable_image"
    if raw[0] <= 0 or raw[1] <= 0:
        return "unreadable_image"
    seen = (raw[1], raw[0]) if orientation in (5, 6, 7, 8) else raw
    return ImageInfo(path, seen, raw)


class ImageLookup:
    """Cached :func:`read_image_info` for the images of one run."""

    def __init__(self) -> None:
        self._cache: dict[Path, ImageInfo | str] = {}

    def __call__(self, path: Path) -> ImageInfo | str:
        if path not in self._cache:
            self._cache[path] = read_image_info(path)
        return self._cache[path]


def find_image_by_stem(images_dir: Path, stem: str) -> Path | None:
    """The image ``<images_dir>/<stem>.<ext>`` for the first extension of :data:`IMAGE_EXTENSIONS` that exists."""
    for ext in IMAGE_EXTENSIONS:
        for candidate in (images_dir / f"{stem}{ext}", images_dir / f"{stem}{ext.upper()}"):
            if candidate.is_file():
                return candidate
    return None


def annotation_frame(declared_wh: tuple[float, float] | None, info: ImageInfo) -> tuple[tuple[float, float] | None, str]:
    """The pixel frame an annotation's coordinates are in, checked against the real image size.

    Returns ``(frame_wh, "")`` when usable, ``(frame_wh, "size_mismatch_rescaled")`` when the declared
    size is a rescaled copy of the image (same aspect ratio: coordinates normalized by the declared
    size still fit), or ``(None, reason)`` when the annotation cannot be placed on the image:
    ``"exif_orientation"`` (the declared size is the stored size of an image that EXIF turns upright:
    the coordinates are in the unrotated frame) or ``"size_mismatch"`` (another aspect ratio).
    """
    if declared_wh is None:
        return info.wh, ""
    dw, dh = (float(v) for v in declared_wh)
    if not (dw > 0 and dh > 0):
        return info.wh, ""
    if (round(dw), round(dh)) == info.wh:
        return (dw, dh), ""
    if (round(dw), round(dh)) == info.raw_wh:
        return None, "exif_orientation"
    aspect, real = dw / dh, info.wh[0] / info.wh[1]
    if abs(aspect - real) / real <= _ASPECT_TOLERANCE:
        return (dw, dh), "size_mismatch_rescaled"
    return None, "size_mismatch"


@dataclass(frozen=True)
class GeometryOptions:
    """How converters turn annotations into regions.

    Attributes:
        epsilon_frac: Douglas-Peucker tolerance (fraction of each contour's perimeter) when a mask is traced.
        token_budget: if set, simplify each object so its polygon answer fits this many tokens
            (polygons are rasterized and traced again; masks are traced with the budget).
        holes: keep holes when tracing masks (the answer text holds outer rings only).
        min_area_px: skip objects smaller than this many pixels (``zero_area``).
    """

    epsilon_frac: float = field(
        default=0.001, metadata={"help": "Douglas-Peucker tolerance when tracing masks, fraction of the perimeter"}
    )
    token_budget: int | None = field(
        default=None, metadata={"help": "simplify each object so its polygon answer fits this many tokens"}
    )
    holes: bool = field(default=False, metadata={"help": "keep holes when tracing masks"})
    min_area_px: float = field(default=1.0, metadata={"help": "skip objects smaller than this many pixels"})

    def __post_init__(self) -> None:
        if not (np.isfinite(self.epsilon_frac) and self.epsilon_frac >= 0):
            raise DataError(f"epsilon_frac must be a number >= 0 (reference: 0.001), got {self.epsilon_frac!r}")
        if self.token_budget is not None and self.token_budget < 1:
            raise DataError(f"token_budget must be >= 1 (about 200 is the reference sweet spot), got {self.token_budget!r}")
        if not (np.isfinite(self.min_area_px) and self.min_area_px >= 0):
            raise DataError(f"min_area_px must be a number >= 0, got {self.min_area_px!r}")

    def trace(self, mask: np.ndarray) -> Region:
        """Trace a mask into a canonical region with these options (empty mask: empty region)."""
        return mask_to_region(
            mask, epsilon_frac=self.epsilon_frac, holes=self.holes, token_budget=self.token_budget
        )


def _safe_clip(region: Region) -> Region:
    try:
        return region.clipped()
    except Exception:  # noqa: BLE001 - GEOS raises its own errors on self-intersecting input
        return region.repaired().clipped()


def finalize_region(
    region: Region, frame_wh: tuple[float, float], opts: GeometryOptions, stats: ConversionStats, what: str,
    *, from_polygons: bool,
) -> Region | None:
    """Clip to the image, drop tiny objects, apply the token budget, order vertices canonically.

    Returns ``None`` (after counting the reason in ``stats``) when the object is unusable.
    """
    if region.is_empty:
        stats.skip("empty_mask", f"{what}: no foreground pixel")
        return None
    lo = min(float(p.min()) for part in region.parts for p in part.rings)
    hi = max(float(p.max()) for part in region.parts for p in part.rings)
    if lo < 0.0 or hi > 1.0:
        clipped = _safe_clip(region)
        if clipped.is_empty or clipped.area <= 0:
            stats.skip("out_of_image", f"{what}: the object lies outside the image")
            return None
        stats.note("clipped", f"{what}: clipped to the image")
        region = clipped
    w, h = frame_wh
    area_px = region.area * w * h
    if area_px < max(opts.min_area_px, 1e-9):
        stats.skip("zero_area", f"{what}: area {area_px:.2f} px < {opts.min_area_px} px")
        return None
    if opts.token_budget is not None and from_polygons:
        mask = region_to_mask(region, (max(1, round(w)), max(1, round(h))))
        if not mask.any():
            stats.skip("zero_area", f"{what}: the polygon covers no pixel centre")
            return None
        try:
            region = mask_to_region(mask, epsilon_frac=opts.epsilon_frac, token_budget=opts.token_budget)
        except GeometryError as exc:
            stats.skip("token_budget", f"{what}: {exc}")
            return None
    return region.canonical()


def load_json(path: str | Path, what: str) -> Any:
    """Read a JSON file, turning every failure into a :class:`DataError` that names the file and line."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError(f"{what} not found: {p}") from None
    except IsADirectoryError:
        raise DataError(f"{what} must be a file, got the folder {p}") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{what} {p} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} {p} is not UTF-8 text: {exc}") from None


def require_dir(path: str | Path, what: str) -> Path:
    """``path`` as a :class:`Path`, or a :class:`DataError` when it is not an existing folder."""
    p = Path(path)
    if not p.is_dir():
        raise DataError(f"{what} must be an existing folder, got {p}")
    return p


def image_path_for_record(path: Path, relative_to: str | Path | None) -> str:
    """The path stored in a record: relative to ``relative_to`` (the records file's folder) when given."""
    if relative_to is None:
        return str(path.resolve())
    return os.path.relpath(path.resolve(), Path(relative_to).resolve())


def clean_expressions(candidates, *, max_chars: int | None = None) -> list[str]:
    """Whitespace-collapsed, non-empty, de-duplicated (case-insensitively) expressions, in order.

    Example:
        >>> clean_expressions(["the  cat", "The cat", "", None, "a cat"])
        ['the cat', 'a cat']
    """
    out: list[str] = []
    seen: set[str] = set()
    for c in candidates:
        if not isinstance(c, str):
            continue
        text = " ".join(c.split())
        if not text or (max_chars is not None and len(text) > max_chars):
            continue
        if text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out


def make_record(
    info: ImageInfo, expressions: list[str], region: Region, *, label: str, source: str, record_id: str,
    meta: dict[str, Any], relative_to: str | Path | None,
) -> Record:
    return Record(
        image_path=image_path_for_record(info.path, relative_to),
        image_wh=info.wh,
        expressions=expressions,
        region=region,
        label=label,
        source=source,
        record_id=record_id,
        meta=meta,
    )
