"""Folders of mask PNGs -> records.

Two layouts, chosen with ``expressions_from``:

* ``"filename"``: ``masks/<image stem>__<label>.png``, or ``<image stem>__<label>__<n>.png`` for a
  second instance of the same label (a trailing all-digit part is an instance number). Underscores
  in the label become spaces: ``street__red_car__2.png`` is a "red car" in ``images/street.<ext>``.
  A label that occurs more than once in an image is marked ``meta["ambiguous"]``.
* ``"sidecar"``: one ``masks/<image stem>.json`` per image::

      {"image": "street.jpg",                      # optional; default: the image with the same stem
       "objects": [{"mask": "street_0.png",        # relative to the sidecar's folder
                    "expressions": ["the red car", "car on the left"],
                    "label": "car"}]}              # optional

  A sidecar that is not valid JSON is skipped and counted (``malformed_sidecar``), not fatal.

Any mask pixel above 0 is the object (0/1, 0/255, palette index > 0; the alpha channel when the
PNG has a transparent one). A mask must have the image's aspect ratio; a rescaled mask is fine.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import numpy as np

from ...errors import GeometryError
from ..records import Record
from ._common import (
    Conversion,
    ConversionStats,
    DataError,
    GeometryOptions,
    ImageInfo,
    ImageLookup,
    annotation_frame,
    clean_expressions,
    finalize_region,
    find_image_by_stem,
    make_record,
    require_dir,
)

ExpressionsFrom = Literal["filename", "sidecar"]


def read_mask(path: Path) -> np.ndarray | str:
    """A mask PNG as a bool ``(H, W)`` array (pixels above 0), or a skip reason."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return "missing_mask"
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode == "P":
                return np.asarray(im) > 0  # palette index 0 is the background
            if im.mode in ("LA", "RGBA", "PA"):
                alpha = np.asarray(im.getchannel("A"))
                if alpha.min() < 255:
                    return alpha > 0
            return np.asarray(im.convert("L")) > 0
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return "unreadable_mask"


def parse_mask_name(stem: str) -> tuple[str, str, int] | None:
    """``(image stem, label, instance)`` of a ``<stem>__<label>[__<n>]`` file name, or ``None``.

    Example:
        >>> parse_mask_name("street__red_car__2"), parse_mask_name("street__red_car"), parse_mask_name("street")
        (('street', 'red car', 2), ('street', 'red car', 0), None)
    """
    parts = stem.split("__")
    if len(parts) < 2 or not parts[0]:
        return None
    instance = 0
    if len(parts) >= 3 and parts[-1].isdigit():
        instance = int(parts[-1])
        parts = parts[:-1]
    label = " ".join("__".join(parts[1:]).replace("_", " ").split())
    return (parts[0], label, instance) if label else None


def convert_mask_folder(
    images_dir: str | Path,
    masks_dir: str | Path,
    *,
    expressions_from: ExpressionsFrom = "filename",
    epsilon_frac: float = 0.001,
    token_budget: int | None = None,
    holes: bool = False,
    min_area_px: float = 1.0,
    source: str = "masks",
    relative_to: str | Path | None = None,
) -> Conversion:
    """One record per mask PNG (see the module docstring for the two layouts).

    Raises:
        DataError: a folder is missing or ``expressions_from`` is unknown.

    Example:
        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> d = Path(tempfile.mkdtemp()); (d / "img").mkdir(); (d / "masks").mkdir()
        >>> Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(d / "img" / "street.png")
        >>> m = np.zeros((20, 40), np.uint8); m[5:15, 10:30] = 255
        >>> Image.fromarray(m).save(d / "masks" / "street__red_car.png")
        >>> [(r.expressions, r.xyxy_norm.tolist()) for r in convert_mask_folder(d / "img", d / "masks")]
        [(['red car'], [0.25, 0.25, 0.75, 0.75])]
    """
    images_root = require_dir(images_dir, "images_dir")
    masks_root = require_dir(masks_dir, "masks_dir")
    opts = GeometryOptions(epsilon_frac=epsilon_frac, token_budget=token_budget, holes=holes, min_area_px=min_area_px)
    if expressions_from == "filename":
        files = sorted(p for p in masks_root.iterdir() if p.suffix.lower() == ".png" and p.is_file())
        produce = _by_filename(files, images_root, opts, source, relative_to)
    elif expressions_from == "sidecar":
        files = sorted(p for p in masks_root.iterdir() if p.suffix.lower() == ".json" and p.is_file())
        produce = _by_sidecar(files, images_root, opts, source, relative_to)
    else:
        raise DataError(f"expressions_from must be 'filename' or 'sidecar', got {expressions_from!r}")
    return Conversion(produce, source, total=len(files) if expressions_from == "filename" else None)


def _mask_record(
    mask_path: Path, info: ImageInfo, expressions: list[str], label: str, opts: GeometryOptions,
    stats: ConversionStats, source: str, meta: dict, relative_to,
) -> Record | None:
    what = f"mask {mask_path.name}"
    mask = read_mask(mask_path)
    if isinstance(mask, str):
        stats.skip(mask, f"{what}: {mask_path}")
        return None
    h, w = mask.shape
    frame, remark = annotation_frame((w, h), info)
    if frame is None:
        stats.skip(remark, f"{what}: mask {w}x{h}, image {info.wh[0]}x{info.wh[1]}")
        return None
    if remark:
        stats.note(remark, f"{what}: mask {w}x{h}, image {info.wh[0]}x{info.wh[1]}")
    try:
        region = finalize_region(opts.trace(mask), (w, h), opts, stats, what, from_polygons=False)
    except GeometryError as exc:
        stats.skip("degenerate_polygon", f"{what}: {exc}")
        return None
    if region is None:
        return None
    return make_record(
        info, expressions, region, label=label, source=source, record_id=f"{source}:{mask_path.stem}",
        meta={"mask": mask_path.name, **meta}, relative_to=relative_to,
    )


def _by_filename(files: list[Path], images_root: Path, opts: GeometryOptions, source: str, relative_to):
    parsed = {f: parse_mask_name(f.stem) for f in files}
    per_label = Counter((p[0], p[1]) for p in parsed.values() if p)

    def produce(stats: ConversionStats) -> Iterator[Record]:
        lookup = ImageLookup()
        for f in files:
            stats.seen += 1
            name = parsed[f]
            if name is None:
                stats.skip("bad_mask_name", f"{f.name}: expected <image stem>__<label>.png")
                continue
            stem, label, instance = name
            image_path = find_image_by_stem(images_root, stem)
            info = lookup(image_path) if image_path else "missing_image"
            if isinstance(info, str):
                stats.skip(info, f"mask {f.name}: no image {stem}.* in {images_root}")
                continue
            n_same = per_label[(stem, label)]
            if n_same > 1:
                stats.note("ambiguous", f"mask {f.name}: {n_same} masks labelled {label!r}")
            meta = {"instance": instance, "ambiguous": n_same > 1, "instances_of_label": n_same}
            record = _mask_record(f, info, [label], label, opts, stats, source, meta, relative_to)
            if record is not None:
                yield record

    return produce


def _by_sidecar(files: list[Path], images_root: Path, opts: GeometryOptions, source: str, relative_to):
    def produce(stats: ConversionStats) -> Iterator[Record]:
        lookup = ImageLookup()
        for side in files:
            try:
                data = json.loads(side.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                stats.seen += 1
                stats.skip("malformed_sidecar", f"{side.name}: {exc}")
                continue
            objects = data.get("objects") if isinstance(data, Mapping) else None
            if not isinstance(objects, list):
                stats.seen += 1
                stats.skip("malformed_sidecar", f"{side.name}: expected {{\"objects\": [...]}}")
                continue
            image_name = data.get("image")
            image_path = (images_root / image_name) if isinstance(image_name, str) and image_name else find_image_by_stem(images_root, side.stem)
            info = lookup(image_path) if image_path else "missing_image"
            for k, obj in enumerate(objects):
                stats.seen += 1
                what = f"{side.name} object {k}"
                if isinstance(info, str):
                    stats.skip(info, f"{what}: image {image_name or side.stem + '.*'} in {images_root}")
                    continue
                if not isinstance(obj, Mapping) or not isinstance(obj.get("mask"), str):
                    stats.skip("malformed_annotation", f"{what}: expected {{\"mask\": \"file.png\", \"expressions\": [...]}}")
                    continue
                exprs = obj.get("expressions")
                exprs = [exprs] if isinstance(exprs, str) else list(exprs or [])
                label = str(obj.get("label") or "")
                expressions = clean_expressions(exprs + ([obj["expression"]] if isinstance(obj.get("expression"), str) else []))
                expressions = expressions or clean_expressions([label])
                if not expressions:
                    stats.skip("no_expression", f"{what}: no expressions and no label")
                    continue
                meta = {"sidecar": side.name, "object": k, "ambiguous": bool(obj.get("ambiguous", False))}
                record = _mask_record(side.parent / obj["mask"], info, expressions, label, opts, stats, source, meta, relative_to)
                if record is not None:
                    yield record

    return produce
