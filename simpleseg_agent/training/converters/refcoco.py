"""The RefCOCO family (RefCOCO, RefCOCO+, RefCOCOg) -> records, as the REFER API lays them out.

A dataset folder of the REFER API holds ``refs(unc).p`` (or ``refs(umd).p``, ``refs(google).p``):
a pickled list of refs, each ``{"ref_id", "ann_id", "image_id", "category_id", "split",
"sentences": [{"sent": ..., "raw": ..., "sent_id": ...}], "file_name", ...}``, and ``instances.json``:
COCO annotations of the referred objects. Each ref becomes one record whose expressions are all
its sentences (``sent``, else ``raw``), whose region is its annotation's, whose image is the one
``instances.json`` names (the ref's own ``file_name`` carries an annotation suffix and is not a file).

The refs file may also be a JSON list of the same dicts (or ``{"refs": [...]}``). Pickles are read
with an unpickler that accepts only plain containers and strings, never code.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..records import Record
from ._common import (
    Conversion,
    ConversionStats,
    DataError,
    GeometryOptions,
    ImageLookup,
    clean_expressions,
    load_json,
    make_record,
    require_dir,
)
from .coco import find_image, category_name, check_coco, region_from_annotation


class _PlainUnpickler(pickle.Unpickler):
    """Refuses every global: a refs pickle is lists, dicts, strings and numbers only."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"the refs pickle references {module}.{name}; only plain lists and dicts are accepted")


def load_refs(path: str | Path) -> list[dict[str, Any]]:
    """Read a refs file: a REFER pickle (``refs(unc).p``), a JSON list, or ``{"refs": [...]}``.

    Raises:
        DataError: missing file, unreadable content, or not a list of ref objects.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"refs file not found: {p}")
    raw = p.read_bytes()
    if raw.lstrip()[:1] not in (b"[", b"{"):  # JSON starts with a bracket; a pickle never does
        try:
            # refs(unc).p were written by Python 2: its str objects are UTF-8 bytes
            data = _PlainUnpickler(io.BytesIO(raw), encoding="utf-8", errors="replace").load()
        except Exception as exc:  # noqa: BLE001 - a broken pickle raises many kinds of errors
            raise DataError(f"refs file {p} is not a readable refs pickle: {exc}") from None
    else:
        data = load_json(p, "refs file")
    if isinstance(data, Mapping) and isinstance(data.get("refs"), list):
        data = data["refs"]
    if not isinstance(data, list):
        raise DataError(f"refs file {p}: expected a list of refs, got a {type(data).__name__}")
    for i, ref in enumerate(data):
        if not isinstance(ref, Mapping) or "ann_id" not in ref:
            raise DataError(f"refs file {p}: entry {i} must be an object with 'ann_id' and 'sentences', got {str(ref)[:80]}")
    return data


def ref_expressions(ref: Mapping[str, Any]) -> list[str]:
    """The sentences of a ref: each one's ``sent`` (REFER's cleaned text), else its ``raw`` text.

    Example:
        >>> ref_expressions({"sentences": [{"sent": "man on left", "raw": "Man on left."}, {"raw": "guy  left"}]})
        ['man on left', 'guy left']
    """
    out = []
    for s in ref.get("sentences") or []:
        if isinstance(s, Mapping):
            out.append(s.get("sent") or s.get("raw"))
        elif isinstance(s, str):
            out.append(s)
    return clean_expressions(out)


def convert_refcoco(
    refs_path: str | Path,
    instances_json: str | Path,
    images_dir: str | Path,
    *,
    split: str | None = None,
    epsilon_frac: float = 0.001,
    token_budget: int | None = None,
    holes: bool = False,
    min_area_px: float = 1.0,
    source: str = "refcoco",
    relative_to: str | Path | None = None,
) -> Conversion:
    """One record per ref: all its sentences as expressions, its instance's region.

    Args:
        refs_path: ``refs(unc).p`` (REFER pickle) or a JSON list of refs.
        instances_json: the COCO ``instances.json`` of the same dataset.
        images_dir: the COCO images folder (``train2014``).
        split: keep only refs of this split (``"train"``, ``"val"``, ``"testA"``...); all when ``None``.
        epsilon_frac, token_budget, holes, min_area_px: see :class:`GeometryOptions`.
        source: the records' ``source`` (``"refcoco"``, ``"refcoco+"``, ``"refcocog"``).
        relative_to: write image paths relative to this folder; absolute if ``None``.

    Raises:
        DataError: a file is missing or malformed.
    """
    refs = load_refs(refs_path)
    data = load_json(instances_json, "instances file")
    check_coco(data, instances_json, need_categories=False)
    images_root = require_dir(images_dir, "images_dir")
    opts = GeometryOptions(epsilon_frac=epsilon_frac, token_budget=token_budget, holes=holes, min_area_px=min_area_px)
    images = {img["id"]: img for img in data["images"]}
    anns = {a["id"]: a for a in data["annotations"] if isinstance(a, Mapping) and "id" in a}
    categories = {c["id"]: c for c in data.get("categories") or [] if isinstance(c, Mapping) and "id" in c}

    def produce(stats: ConversionStats) -> Iterator[Record]:
        lookup = ImageLookup()
        for ref in refs:
            stats.seen += 1
            what = f"ref {ref.get('ref_id', '?')}"
            if split is not None and ref.get("split") != split:
                stats.filtered["other_split"] += 1
                continue
            ann = anns.get(ref.get("ann_id"))
            if ann is None:
                stats.skip("unknown_annotation", f"{what}: ann_id {ref.get('ann_id')!r} is not in the instances file")
                continue
            image_id = ref.get("image_id", ann.get("image_id"))
            image = images.get(image_id)
            if image is None:
                stats.skip("unknown_image", f"{what}: image_id {image_id!r} is not in the instances file")
                continue
            expressions = ref_expressions(ref)
            if not expressions:
                stats.skip("no_expression", f"{what}: no sentence")
                continue
            info = find_image(images_root, image, lookup, stats, what)
            if info is None:
                continue
            region = region_from_annotation(ann, image, info, opts, stats, what=what)
            if region is None:
                continue
            category = categories.get(ref.get("category_id", ann.get("category_id")))
            yield make_record(
                info, expressions, region, label=category_name(category) if category else "", source=source,
                record_id=f"{source}:{ref.get('ref_id')}",
                meta={
                    "ref_id": ref.get("ref_id"), "ann_id": ref.get("ann_id"), "image_id": image_id,
                    "split": ref.get("split"), "sent_ids": list(ref.get("sent_ids") or []), "ambiguous": False,
                },
                relative_to=relative_to,
            )

    return Conversion(produce, source, total=len(refs))
