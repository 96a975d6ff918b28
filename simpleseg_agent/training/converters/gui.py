"""GUI element annotations (from a DOM or an accessibility tree) -> records.

Schema: a JSON list of screenshots (or ``{"screenshots": [...]}``, or one screenshot object)::

    {"image": "login.png",                 # relative to images_dir
     "device_pixel_ratio": 2.0,            # optional: image pixels per coordinate unit (CSS px); default 1
     "width": 1280, "height": 800,         # optional: the coordinate frame (CSS viewport); checked
     "elements": [
        {"bbox": [x1, y1, x2, y2],         # corners in coordinate units, or
         "polygon": [[x, y], ...],         # an outline in coordinate units
         "role": "button",                 # ARIA role, tag or AX role (AXButton, push button...)
         "text": "Submit",                 # visible text
         "name": "Submit the form",        # accessible name (optional)
         "visible": true}]}                # optional; false elements are filtered out

Coordinates times ``device_pixel_ratio`` are image pixels: DOM exports give CSS pixels, a HiDPI
screenshot has twice as many. Expressions of an element, in order: ``"the Submit button"`` (text
and role), the raw text ``"Submit"``, and the same with the accessible name when it differs. An
element with neither text nor name is skipped (``no_expression``): "the button" names nothing on a
real screen. Two elements with the same first expression in one screenshot are marked
``meta["ambiguous"]``.
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
    ImageLookup,
    annotation_frame,
    clean_expressions,
    finalize_region,
    load_json,
    make_record,
    require_dir,
)

#: Accessibility-tree and DOM role names -> the words people use for them.
ROLE_WORDS: dict[str, str] = {
    "button": "button", "pushbutton": "button", "push button": "button", "togglebutton": "toggle button",
    "link": "link", "a": "link", "hyperlink": "link",
    "textbox": "text field", "textfield": "text field", "text field": "text field", "input": "text field",
    "entry": "text field", "textarea": "text area", "searchbox": "search field", "search": "search field",
    "combobox": "dropdown", "select": "dropdown", "popupbutton": "dropdown", "listbox": "list",
    "checkbox": "checkbox", "check box": "checkbox", "radio": "radio button", "radiobutton": "radio button",
    "radio button": "radio button", "switch": "switch", "slider": "slider", "spinbutton": "number field",
    "tab": "tab", "tablist": "tab bar", "menuitem": "menu item", "menu item": "menu item", "menu": "menu",
    "menubar": "menu bar", "img": "image", "image": "image", "icon": "icon", "heading": "heading",
    "h1": "heading", "h2": "heading", "h3": "heading", "statictext": "text", "text": "text", "label": "label",
    "p": "text", "span": "text", "dialog": "dialog", "window": "window", "toolbar": "toolbar", "row": "row",
    "cell": "cell", "gridcell": "cell", "listitem": "list item", "treeitem": "tree item", "option": "option",
}


def role_word(role: Any) -> str:
    """A role as a word: ``"AXButton"`` -> ``"button"``, ``"push button"`` -> ``"button"``.

    Example:
        >>> role_word("AXButton"), role_word("textbox"), role_word("ListItem"), role_word(None)
        ('button', 'text field', 'list item', '')
    """
    if not isinstance(role, str):
        return ""
    r = role.strip()
    if r.startswith("AX") and len(r) > 2 and r[2].isupper():
        r = r[2:]
    key = r.lower()
    if key in ROLE_WORDS:
        return ROLE_WORDS[key]
    key = key.replace("_", "").replace("-", "")
    if key in ROLE_WORDS:
        return ROLE_WORDS[key]
    # "ListItem" -> "list item"
    spaced = "".join(" " + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(r))
    return ROLE_WORDS.get(spaced, " ".join(spaced.replace("_", " ").replace("-", " ").split()))


def element_expressions(element: Mapping[str, Any], *, max_chars: int = 80) -> list[str]:
    """Referring expressions of one element (see the module docstring).

    Example:
        >>> element_expressions({"role": "button", "text": "Submit"})
        ['the Submit button', 'Submit']
        >>> element_expressions({"role": "AXTextField", "name": "Email"})
        ['the Email text field', 'Email']
        >>> element_expressions({"role": "button"})
        []
    """
    word = role_word(element.get("role") or element.get("tag"))
    out = []
    for key in ("text", "name"):
        value = element.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        value = " ".join(value.split())
        if word and not value.lower().endswith(word):
            out.append(f"the {value} {word}")
        out.append(value)
    return clean_expressions(out, max_chars=max_chars)


def _screenshots(data: Any, path: Path) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping) and isinstance(data.get("screenshots"), list):
        data = data["screenshots"]
    elif isinstance(data, Mapping) and "elements" in data:
        data = [data]
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a list of screenshots ({{\"image\": ..., \"elements\": [...]}}), got a {type(data).__name__}")
    for i, shot in enumerate(data):
        if not isinstance(shot, Mapping) or not isinstance(shot.get("image"), str) or not isinstance(shot.get("elements"), list):
            raise DataError(f"{path}: screenshot {i} must be {{\"image\": \"file.png\", \"elements\": [...]}}, got {str(shot)[:80]}")
    return data


def _element_outline(element: Mapping[str, Any], scale: float) -> np.ndarray | str:
    """The element's outline in image pixels, or a skip reason."""
    if element.get("polygon") is not None:
        try:
            poly = np.asarray(element["polygon"], dtype=np.float64)
        except (TypeError, ValueError):
            return "malformed_annotation"
        if poly.ndim != 2 or poly.shape[1] != 2 or len(poly) < 3 or not np.isfinite(poly).all():
            return "degenerate_polygon"
        return poly * scale
    box = element.get("bbox")
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        return "malformed_annotation"
    if not np.isfinite([x1, y1, x2, y2]).all():
        return "malformed_annotation"
    if x2 <= x1 or y2 <= y1:
        return "zero_area"
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]) * scale


def convert_gui_elements(
    json_path: str | Path,
    images_dir: str | Path,
    *,
    min_area_px: float = 4.0,
    max_expression_chars: int = 80,
    source: str = "gui",
    relative_to: str | Path | None = None,
) -> Conversion:
    """One record per visible, named GUI element (see the module docstring for the schema).

    Args:
        json_path: the element annotation file.
        images_dir: folder of the screenshots.
        min_area_px: skip elements smaller than this many image pixels.
        max_expression_chars: drop longer texts as expressions (a paragraph is not a referring expression).
        source: the records' ``source``.
        relative_to: write image paths relative to this folder; absolute if ``None``.

    Raises:
        DataError: the file is missing, not JSON, or not in the schema.

    Example:
        >>> import json, tempfile, numpy as np
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> d = Path(tempfile.mkdtemp())
        >>> Image.fromarray(np.zeros((100, 200, 3), np.uint8)).save(d / "s.png")
        >>> shots = [{"image": "s.png", "device_pixel_ratio": 2,
        ...           "elements": [{"bbox": [10, 10, 50, 20], "role": "button", "text": "OK"}]}]
        >>> _ = (d / "gui.json").write_text(json.dumps(shots))
        >>> [(r.expressions, r.xyxy_norm.tolist()) for r in convert_gui_elements(d / "gui.json", d)]
        [(['the OK button', 'OK'], [0.1, 0.2, 0.5, 0.4])]
    """
    path = Path(json_path)
    shots = _screenshots(load_json(path, "GUI element file"), path)
    images_root = require_dir(images_dir, "images_dir")
    opts = GeometryOptions(min_area_px=min_area_px)
    total = sum(len(s["elements"]) for s in shots)

    def produce(stats: ConversionStats) -> Iterator[Record]:
        lookup = ImageLookup()
        for shot in shots:
            try:
                scale = float(shot.get("device_pixel_ratio", 1.0) or 1.0)
            except (TypeError, ValueError):
                scale = float("nan")
            elements = shot["elements"]
            if not (np.isfinite(scale) and scale > 0):
                stats.seen += len(elements)
                for _ in elements:
                    stats.skip("malformed_annotation", f"{shot['image']}: device_pixel_ratio must be > 0, got {shot.get('device_pixel_ratio')!r}")
                continue
            info = lookup(images_root / shot["image"])
            declared = None
            if isinstance(shot.get("width"), (int, float)) and isinstance(shot.get("height"), (int, float)):
                declared = (shot["width"] * scale, shot["height"] * scale)
            frame, remark = annotation_frame(declared, info) if not isinstance(info, str) else (None, info)
            exprs = [element_expressions(e, max_chars=max_expression_chars) if isinstance(e, Mapping) else [] for e in elements]
            first = Counter(x[0].lower() for x in exprs if x)
            for k, element in enumerate(elements):
                stats.seen += 1
                what = f"{shot['image']} element {k}"
                if frame is None:
                    stats.skip(remark, f"{what}: {images_root / shot['image']}")
                    continue
                if not isinstance(element, Mapping):
                    stats.skip("malformed_annotation", f"{what}: expected an object")
                    continue
                if element.get("visible", True) is False:
                    stats.filtered["invisible"] += 1
                    continue
                if not exprs[k]:
                    stats.skip("no_expression", f"{what}: no text or name (role {element.get('role')!r})")
                    continue
                outline = _element_outline(element, scale)
                if isinstance(outline, str):
                    stats.skip(outline, f"{what}: bbox {element.get('bbox')!r} polygon {element.get('polygon')!r}")
                    continue
                if remark:
                    stats.note(remark, f"{what}: declared {declared}, image {info.wh}")
                try:
                    region = Region.from_px([outline], frame)
                except GeometryError as exc:
                    stats.skip("degenerate_polygon", f"{what}: {exc}")
                    continue
                region = finalize_region(region, frame, opts, stats, what, from_polygons=True)
                if region is None:
                    continue
                n_same = first[exprs[k][0].lower()]
                if n_same > 1:
                    stats.note("ambiguous", f"{what}: {n_same} elements called {exprs[k][0]!r}")
                label = role_word(element.get("role") or element.get("tag"))
                yield make_record(
                    info, exprs[k], region, label=label, source=source, record_id=f"{source}:{shot['image']}#{k}",
                    meta={
                        "role": element.get("role"), "text": element.get("text"), "name": element.get("name"),
                        "ambiguous": n_same > 1,
                    },
                    relative_to=relative_to,
                )

    return Conversion(produce, source, total=total)
