"""Captured screens as a dataset: the ``images/`` + ``records.jsonl`` folder ``simpleseg data synth`` writes.

Each named element becomes one record: its box (or exact outline, where the engine gives one) as
the region, its role as the ``label``, the app or site as the ``source``, and a referring expression
made of its real name and role: "the Save button", "the Email field", "the Remember me checkbox".
An expression must name exactly one element of its screen. Where several share one (two "Save"
buttons), they are told apart by their order from the left (on a row) or from the top (in a column):
"the first Save button from the left"; groups of more than four are dropped. An element without a
usable name is kept only when it is the one element of its role on the screen ("the checkbox").
Names longer than :data:`MAX_NAME_WORDS` words or :data:`MAX_NAME_CHARS` characters (paragraph-long
links) are not queries a person would type, and are dropped.

The folder is written to a temporary sibling and renamed into place, so a failed capture leaves
nothing behind, and a folder that already holds a dataset is refused unless ``overwrite=True``.

Example:
    >>> from PIL import Image
    >>> from simpleseg_agent.capture import CapturedElement, CapturedScreen
    >>> els = (CapturedElement("button", "Save", (10, 10, 60, 30)), CapturedElement("button", "Save", (80, 10, 130, 30)),
    ...        CapturedElement("field", "Email", (10, 50, 200, 70)), CapturedElement("checkbox", "", (10, 80, 20, 90)))
    >>> screen = CapturedScreen(Image.new("RGB", (240, 100)), els, source="web:demo", toolkit="web")
    >>> [r.expressions[0] for r in screen_records(screen, "images/000000.png")]
    ['the first Save button from the left', 'the second Save button from the left', 'the Email field', 'the checkbox']
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CaptureError
from ..geometry import Region
from ..training.records import Record, write_records
from .elements import CapturedElement, CapturedScreen

RECORDS_FILE = "records.jsonl"
SUMMARY_FILE = "capture.json"

#: The noun a query uses for each role.
NOUNS = {
    "button": "button", "link": "link", "field": "field", "checkbox": "checkbox", "radio": "radio button",
    "select": "dropdown", "tab": "tab", "menuitem": "menu item", "heading": "heading", "label": "label",
    "icon": "icon", "image": "image", "slider": "slider", "switch": "switch", "spinbutton": "spin box",
    "listitem": "list item", "treeitem": "tree item",
}
MAX_NAME_WORDS = 8
MAX_NAME_CHARS = 60
#: Elements sharing an expression are told apart by position only up to this many.
MAX_ORDINAL = 4
_ORDINALS = ("first", "second", "third", "fourth")


def _noun_phrase(role: str, name: str) -> str | None:
    noun = NOUNS.get(role)
    if noun is None:
        return None
    if not name:
        return f"the {noun}"
    if len(name) > MAX_NAME_CHARS or len(name.split()) > MAX_NAME_WORDS:
        return None
    # "Search field" named "Search field" reads "the Search field", not "the Search field field"
    if name.lower().endswith(" " + noun) or name.lower() == noun:
        return f"the {name}"
    return f"the {name} {noun}"


#: Roles of containers that take their name from what they hold (a list item around its link).
CONTAINER_ROLES = frozenset({"listitem", "treeitem", "label"})


def _inside(inner: tuple, outer: tuple, tol: float = 1.0) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[2] <= outer[2] + tol
            and inner[3] <= outer[3] + tol)


def _dedupe(elements: Iterable[CapturedElement]) -> list[CapturedElement]:
    """One element per (role, name, box): a tree may report a control and its inner node alike; and a list
    item, tree item or label named exactly as a control inside it is left to the control."""
    seen: set[tuple] = set()
    unique = []
    for e in elements:
        key = (e.role, e.name, tuple(round(v) for v in e.xyxy_px))
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return [e for e in unique if not (e.role in CONTAINER_ROLES and e.name and any(
        o is not e and o.role not in CONTAINER_ROLES and o.name == e.name and _inside(o.xyxy_px, e.xyxy_px)
        for o in unique))]


def _ordinal(group: list[CapturedElement], phrase: str) -> list[tuple[CapturedElement, str]]:
    """Tell a group sharing ``phrase`` apart by order from the left (a row) or from the top (a column)."""
    if len(group) > MAX_ORDINAL:
        return []
    cx = np.array([(e.xyxy_px[0] + e.xyxy_px[2]) / 2 for e in group])
    cy = np.array([(e.xyxy_px[1] + e.xyxy_px[3]) / 2 for e in group])
    by_x = np.argsort(cx, kind="stable")
    by_y = np.argsort(cy, kind="stable")
    # a row when the elements stand apart left to right (no two overlap in x), else a column likewise
    x_apart = all(group[b].xyxy_px[0] >= group[a].xyxy_px[2] for a, b in zip(by_x, by_x[1:]))
    y_apart = all(group[b].xyxy_px[1] >= group[a].xyxy_px[3] for a, b in zip(by_y, by_y[1:]))
    if x_apart and (np.ptp(cx) >= np.ptp(cy) or not y_apart):
        order, side = by_x, "left"
    elif y_apart:
        order, side = by_y, "top"
    else:
        return []
    head = phrase[len("the "):]
    return [(group[k], f"the {_ORDINALS[rank]} {head} from the {side}") for rank, k in enumerate(order)]


def referring_expressions(elements: Iterable[CapturedElement]) -> list[tuple[CapturedElement, str, str]]:
    """``(element, expression, how)`` for each element an expression names uniquely on its screen
    (``how``: ``name``, ``position`` or ``role``), in the elements' order.

    Example:
        >>> from simpleseg_agent.capture import CapturedElement as E
        >>> els = [E("tab", "Settings", (0, 0, 50, 20)), E("link", "Docs", (0, 40, 30, 50)), E("link", "Docs", (0, 60, 30, 70)),
        ...        E("checkbox", "", (0, 80, 10, 90)), E("checkbox", "", (0, 95, 10, 105))]
        >>> [(x, how) for _, x, how in referring_expressions(els)]
        [('the Settings tab', 'name'), ('the first Docs link from the top', 'position'), ('the second Docs link from the top', 'position')]
    """
    elements = _dedupe(elements)
    groups: dict[str, list[CapturedElement]] = {}
    for e in elements:
        phrase = _noun_phrase(e.role, e.name)
        if phrase is not None:
            groups.setdefault(phrase.lower(), []).append(e)
    # an unnamed element is "the checkbox" only as the one element of its role on the screen
    per_role = Counter(e.role for e in elements)
    named: dict[int, tuple[str, str]] = {}
    for key, group in groups.items():
        unnamed = not group[0].name
        phrase = _noun_phrase(group[0].role, group[0].name)
        if unnamed:
            if len(group) == 1 and per_role[group[0].role] == 1:
                named[id(group[0])] = (phrase, "role")
        elif len(group) == 1:
            named[id(group[0])] = (phrase, "name")
        else:
            for e, text in _ordinal(group, phrase):
                named[id(e)] = (text, "position")
    return [(e, *named[id(e)]) for e in elements if id(e) in named]


def element_region(element: CapturedElement, resolution_wh: tuple[int, int]) -> Region:
    """The element's exact outline where the engine gave one, else its box; normalized, canonical order."""
    W, H = resolution_wh
    if element.polygon_xy_px is not None and len(element.polygon_xy_px) >= 3:
        poly = np.clip(np.asarray(element.polygon_xy_px, dtype=float), 0, [W, H])
    else:
        x0, y0, x1, y1 = element.xyxy_px
        poly = np.clip(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float), 0, [W, H])
    return Region.from_px([poly], (W, H)).canonical()


def screen_records(screen: CapturedScreen, image_path: str, *, index: int = 0) -> list[Record]:
    """The records of one captured screen whose image is stored at ``image_path`` (relative to the records file)."""
    out = []
    viewport = screen.meta.get("viewport_wh", list(screen.resolution_wh))
    for k, (e, text, how) in enumerate(referring_expressions(screen.elements)):
        region = element_region(e, screen.resolution_wh)
        if region.is_empty:
            continue
        meta = {
            "role": e.role, "name": e.name, "engine_role": e.engine_role, "how": how,
            "box_px": [round(float(v), 2) for v in e.xyxy_px], "toolkit": screen.toolkit, "theme": screen.theme,
            "state": screen.state, "viewport_wh": list(viewport), "dsf": screen.device_scale_factor,
            **{f"screen_{k2}": v for k2, v in screen.meta.items() if k2 in ("url", "command", "theme_differs")},
            **{f"el_{k2}": v for k2, v in e.meta.items() if isinstance(v, (str, int, float, bool)) or v is None},
        }
        out.append(Record(image_path=image_path, image_wh=screen.resolution_wh, expressions=[text], region=region,
                          label=e.role, source=screen.source, record_id=f"{index:06d}-{k:03d}", meta=meta))
    return out


@dataclass(frozen=True)
class CaptureSummary:
    """What :func:`write_capture` wrote."""

    out_dir: Path
    records_file: Path
    screens: int
    records: int
    dropped_screens: int
    seconds: float
    by_role: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "records_file": str(self.records_file), "screens": self.screens,
                "records": self.records, "dropped_screens": self.dropped_screens, "seconds": round(self.seconds, 3),
                "by_role": self.by_role, "by_source": self.by_source}


def check_out_dir(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Refuse a folder that already holds data (anything at all) unless ``overwrite``; returns the path.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "records.jsonl").write_text("")
        >>> check_out_dir(d)
        Traceback (most recent call last):
        ...
        simpleseg_agent.errors.CaptureError: ... already holds data (records.jsonl); choose another folder or pass --overwrite
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CaptureError(f"{out} is a file, expected a folder for the captured dataset")
    held = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if held and not overwrite:
        raise CaptureError(f"{out} already holds data ({held[0]}); choose another folder or pass --overwrite")
    return out


def replace_folder(tmp: Path, out: Path) -> None:
    """Move the finished folder ``tmp`` to ``out``, replacing what was there only once ``tmp`` is complete
    (the old folder is renamed aside first and removed last), so a failure never leaves half a dataset.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> (root / "new").mkdir(); (root / "new" / "a.txt").write_text("new")
        3
        >>> (root / "out").mkdir(); (root / "out" / "a.txt").write_text("old")
        3
        >>> replace_folder(root / "new", root / "out"); (root / "out" / "a.txt").read_text(), (root / "new").exists()
        ('new', False)
    """
    if out.exists():
        old = out.with_name(f".{out.name}.old-{time.time_ns()}")
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def write_capture(screens: Iterable[CapturedScreen], out_dir: str | Path, *, overwrite: bool = False,
                  compress_level: int = 6) -> CaptureSummary:
    """Write screens as ``images/NNNNNN.png`` + ``records.jsonl`` + ``capture.json`` (counts) under ``out_dir``.

    ``screens`` may be a generator (a capture running): each screen is written as it comes, into a
    temporary sibling folder renamed to ``out_dir`` at the end, so an error on the way (raised as it
    was) leaves ``out_dir`` as it was. A screen with no nameable element is left out; when no screen
    has one, :class:`~simpleseg_agent.errors.CaptureError` says so.

    Example:
        >>> import tempfile, pathlib
        >>> from PIL import Image
        >>> from simpleseg_agent.capture import CapturedElement, CapturedScreen
        >>> from simpleseg_agent.training.records import read_records
        >>> s = CapturedScreen(Image.new("RGB", (100, 50)), (CapturedElement("button", "OK", (10, 10, 40, 30)),), "demo", "web")
        >>> d = pathlib.Path(tempfile.mkdtemp()) / "cap"
        >>> summary = write_capture([s], d)
        >>> [(r.expressions, r.label, r.image_path) for r in read_records(d / "records.jsonl")]
        [(['the OK button'], 'button', 'images/000000.png')]
    """
    out = check_out_dir(out_dir, overwrite=overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    t0 = time.perf_counter()
    try:
        (tmp / "images").mkdir()
        records: list[Record] = []
        n_screens = dropped = 0
        for screen in screens:
            image_path = f"images/{n_screens:06d}.png"
            recs = screen_records(screen, image_path, index=n_screens)
            if not recs:
                dropped += 1
                continue
            screen.image.save(tmp / image_path, format="PNG", compress_level=compress_level)
            records.extend(recs)
            n_screens += 1
        if not records:
            raise CaptureError(f"no element with a usable name and role on {dropped} captured screen(s): nothing to write")
        write_records(records, tmp / RECORDS_FILE)
        summary = CaptureSummary(out, out / RECORDS_FILE, n_screens, len(records), dropped, time.perf_counter() - t0,
                                 dict(Counter(r.label for r in records).most_common()),
                                 dict(Counter(r.source for r in records).most_common()))
        (tmp / SUMMARY_FILE).write_text(json.dumps(summary.to_json(), indent=2) + "\n")
        replace_folder(tmp, out)
        return summary
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
