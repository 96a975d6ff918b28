"""COCO and LVIS instance annotations -> records.

The input is one JSON file with ``images`` (``id``, ``file_name`` or LVIS's ``coco_url``, ``width``,
``height``), ``annotations`` (``id``, ``image_id``, ``category_id``, ``segmentation``, ``iscrowd``) and
``categories`` (``id``, ``name``). A segmentation is either polygons (flat ``[x1, y1, x2, y2, ...]``
lists in pixels of the declared image size) or an RLE (``{"size": [h, w], "counts": ...}``,
compressed string or uncompressed list, as crowd regions use).

* Polygons are kept exactly (normalized by the declared size, no re-tracing); with a token budget
  they are rasterized and traced again to fit it.
* RLEs are decoded and traced (Suzuki-Abe + Douglas-Peucker at ``epsilon_frac``), holes kept on request.
* Each record's expressions: the category name (LVIS underscores turned into spaces), and any
  ``expressions`` list the annotation carries. A category that occurs more than once in an image
  names no single object: such records get ``meta["ambiguous"] = True`` and the task builder gives
  them point and box queries only.
* Crowd regions (``iscrowd: 1``) are left out unless ``include_crowd=True`` (counted as filtered).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import GeometryError
from ...geometry import Region
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
    load_json,
    make_record,
    require_dir,
)


def check_coco(data: Any, path: str | Path, *, need_categories: bool = True) -> None:
    """Raise :class:`DataError` unless ``data`` has the COCO layout (lists of dicts with ids)."""
    if not isinstance(data, Mapping):
        raise DataError(f"{path}: a COCO file is a JSON object with 'images' and 'annotations', got a {type(data).__name__}")
    keys = ("images", "annotations", "categories") if need_categories else ("images", "annotations")
    for key in keys:
        if not isinstance(data.get(key), list):
            raise DataError(f"{path}: a COCO file needs a list '{key}', found {type(data.get(key)).__name__}")
    for key in ("images", "categories") if need_categories else ("images",):
        for i, entry in enumerate(data[key]):
            if not isinstance(entry, Mapping) or "id" not in entry:
                raise DataError(f"{path}: {key}[{i}] must be an object with an 'id', got {str(entry)[:80]}")


def image_file_name(image: Mapping[str, Any]) -> str | None:
    """``file_name``, or the last part of LVIS's ``coco_url``."""
    name = image.get("file_name")
    if isinstance(name, str) and name:
        return name
    url = image.get("coco_url") or image.get("flickr_url")
    if isinstance(url, str) and url:
        return url.rstrip("/").rsplit("/", 1)[-1]
    return None


def image_candidates(images_dir: Path, image: Mapping[str, Any]) -> list[Path]:
    """Where the image file may be: ``images_dir/file_name``, or for LVIS also ``images_dir/<split>/<name>``."""
    name = image_file_name(image)
    if name is None:
        return []
    out = [images_dir / name]
    url = image.get("coco_url")
    if isinstance(url, str) and "/" in url.rstrip("/"):
        split = url.rstrip("/").rsplit("/", 2)[-2]
        out.append(images_dir / split / Path(name).name)
    return out


def category_name(category: Mapping[str, Any]) -> str:
    """A category's name as an expression: LVIS's ``baseball_bat`` becomes ``baseball bat``."""
    return " ".join(str(category.get("name", "")).replace("_", " ").split())


def _decode_rle(rle: Mapping[str, Any]) -> np.ndarray:
    from pycocotools import mask as mask_utils

    h, w = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, list):
        obj = mask_utils.frPyObjects({"size": [h, w], "counts": [int(c) for c in counts]}, h, w)
    else:
        obj = {"size": [h, w], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    return mask_utils.decode(obj).astype(bool)


def region_from_annotation(
    ann: Mapping[str, Any], image: Mapping[str, Any], info: ImageInfo, opts: GeometryOptions, stats: ConversionStats,
    *, what: str, bbox_fallback: bool = False,
) -> Region | None:
    """The region of one COCO annotation on its image, or ``None`` (reason counted in ``stats``)."""
    seg = ann.get("segmentation")
    declared = (image.get("width"), image.get("height"))
    declared = declared if all(isinstance(v, (int, float)) and v > 0 for v in declared) else None
    try:
        if isinstance(seg, Mapping):  # RLE: its own frame is its size
            if "size" not in seg or "counts" not in seg:
                stats.skip("malformed_annotation", f"{what}: an RLE needs 'size' and 'counts'")
                return None
            h, w = (int(v) for v in seg["size"])
            frame, remark = annotation_frame((w, h), info)
            if frame is None:
                stats.skip(remark, f"{what}: RLE size {w}x{h}, image {info.wh[0]}x{info.wh[1]}")
                return None
            if remark:
                stats.note(remark, f"{what}: RLE size {w}x{h}, image {info.wh[0]}x{info.wh[1]}")
            mask = _decode_rle(seg)
            region = opts.trace(mask)
            return finalize_region(region, (w, h), opts, stats, what, from_polygons=False)
        frame, remark = annotation_frame(declared, info)
        if frame is None:
            stats.skip(remark, f"{what}: declared {declared}, image {info.wh[0]}x{info.wh[1]}")
            return None
        if remark:
            stats.note(remark, f"{what}: declared {declared}, image {info.wh[0]}x{info.wh[1]}")
        if isinstance(seg, list) and seg:
            polys = []
            for flat in seg:
                arr = np.asarray(flat, dtype=np.float64)
                if arr.ndim != 1 or len(arr) % 2 or len(arr) < 6 or not np.isfinite(arr).all():
                    stats.skip("degenerate_polygon", f"{what}: a polygon needs at least 3 finite x, y pairs, got {arr.size} numbers")
                    return None
                polys.append(arr.reshape(-1, 2))
            region = Region.from_px(polys, frame)
        elif bbox_fallback and isinstance(ann.get("bbox"), list) and len(ann["bbox"]) == 4:
            x, y, bw, bh = (float(v) for v in ann["bbox"])
            region = Region.from_px([[[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]]], frame)
            stats.note("bbox_as_polygon", f"{what}: no segmentation, its box used")
        else:
            stats.skip("no_segmentation", f"{what}: no polygon or RLE")
            return None
        return finalize_region(region, frame, opts, stats, what, from_polygons=True)
    except GeometryError as exc:
        stats.skip("degenerate_polygon", f"{what}: {exc}")
    except (TypeError, ValueError, KeyError) as exc:
        stats.skip("malformed_annotation", f"{what}: {exc}")
    return None


def convert_coco(
    annotation_json: str | Path,
    images_dir: str | Path,
    *,
    epsilon_frac: float = 0.001,
    token_budget: int | None = None,
    holes: bool = False,
    min_area_px: float = 1.0,
    category_as_expression: bool = True,
    include_crowd: bool = False,
    bbox_fallback: bool = False,
    source: str = "coco",
    relative_to: str | Path | None = None,
) -> Conversion:
    """Records from a COCO or LVIS instance-annotation file, one per annotation.

    Args:
        annotation_json: the COCO / LVIS JSON file.
        images_dir: folder the images' ``file_name`` is relative to.
        epsilon_frac, token_budget, holes, min_area_px: see :class:`GeometryOptions`.
        category_as_expression: use the category name as the referring expression.
        include_crowd: keep ``iscrowd`` regions (groups of objects; left out by default).
        bbox_fallback: use an annotation's box when it has no segmentation (else it is skipped).
        source: the records' ``source`` (``"coco"``, ``"lvis"``).
        relative_to: write image paths relative to this folder (the records file's); absolute if ``None``.

    Raises:
        DataError: the file is missing, not JSON, or not in the COCO layout.

    Example:
        >>> import json, tempfile, numpy as np
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> d = Path(tempfile.mkdtemp())
        >>> Image.fromarray(np.zeros((50, 100, 3), np.uint8)).save(d / "a.png")
        >>> coco = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
        ...         "categories": [{"id": 3, "name": "car"}],
        ...         "annotations": [{"id": 9, "image_id": 1, "category_id": 3, "iscrowd": 0,
        ...                          "segmentation": [[10, 10, 60, 10, 60, 40, 10, 40]]}]}
        >>> _ = (d / "ann.json").write_text(json.dumps(coco))
        >>> conv = convert_coco(d / "ann.json", d)
        >>> [(r.expressions, r.xyxy_norm.tolist()) for r in conv]
        [(['car'], [0.1, 0.2, 0.6, 0.8])]
        >>> conv.stats.written
        1
    """
    data = load_json(annotation_json, "COCO annotation file")
    check_coco(data, annotation_json)
    images_root = require_dir(images_dir, "images_dir")
    opts = GeometryOptions(epsilon_frac=epsilon_frac, token_budget=token_budget, holes=holes, min_area_px=min_area_px)
    images = {img["id"]: img for img in data["images"]}
    categories = {c["id"]: c for c in data["categories"]}
    annotations = [a for a in data["annotations"] if isinstance(a, Mapping)]
    per_label = Counter((a.get("image_id"), a.get("category_id")) for a in annotations)

    def produce(stats: ConversionStats) -> Iterator[Record]:
        lookup = ImageLookup()
        for _ in range(len(data["annotations"]) - len(annotations)):
            stats.seen += 1
            stats.skip("malformed_annotation", "an annotation that is not a JSON object")
        for ann in annotations:
            stats.seen += 1
            what = f"annotation {ann.get('id', '?')}"
            if ann.get("iscrowd") and not include_crowd:
                stats.filtered["crowd"] += 1
                continue
            image = images.get(ann.get("image_id"))
            if image is None:
                stats.skip("unknown_image", f"{what}: image_id {ann.get('image_id')!r} is not in 'images'")
                continue
            category = categories.get(ann.get("category_id"))
            if category is None:
                stats.skip("unknown_category", f"{what}: category_id {ann.get('category_id')!r} is not in 'categories'")
                continue
            info = find_image(images_root, image, lookup, stats, what)
            if info is None:
                continue
            label = category_name(category)
            expressions = clean_expressions(
                [*(ann.get("expressions") or []), *([label] if category_as_expression else [])]
            )
            if not expressions:
                stats.skip("no_expression", f"{what}: no expression (category_as_expression is off)")
                continue
            region = region_from_annotation(ann, image, info, opts, stats, what=what, bbox_fallback=bbox_fallback)
            if region is None:
                continue
            n_same = per_label[(ann.get("image_id"), ann.get("category_id"))]
            if n_same > 1:
                stats.note("ambiguous", f"{what}: {n_same} instances of {label!r} in the image")
            yield make_record(
                info, expressions, region, label=label, source=source, record_id=f"{source}:{ann.get('id')}",
                meta={
                    "image_id": ann.get("image_id"), "ann_id": ann.get("id"), "category_id": ann.get("category_id"),
                    "iscrowd": int(bool(ann.get("iscrowd"))), "ambiguous": n_same > 1, "instances_of_label": n_same,
                },
                relative_to=relative_to,
            )

    return Conversion(produce, source, total=len(data["annotations"]))


def find_image(root: Path, image: Mapping[str, Any], lookup: ImageLookup, stats: ConversionStats, what: str) -> ImageInfo | None:
    """The file of a COCO ``image`` entry under ``root`` (its ``file_name`` or ``coco_url``), read through
    ``lookup``; ``None`` when it has neither or none is found, counted in ``stats`` under ``what``."""
    candidates = image_candidates(root, image)
    if not candidates:
        stats.skip("malformed_annotation", f"{what}: image {image.get('id')!r} has no file_name or coco_url")
        return None
    reason = "missing_image"
    for path in candidates:
        info = lookup(path)
        if isinstance(info, ImageInfo):
            return info
        reason = info if info != "missing_image" else reason
    stats.skip(reason, f"{what}: {candidates[0]}")
    return None
