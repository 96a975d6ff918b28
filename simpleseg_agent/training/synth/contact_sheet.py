"""A contact sheet: thumbnails of records with their polygon and click target drawn in and their
expressions as captions — one PNG a person can look at to check generated (or converted) data.
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

from PIL import Image, ImageDraw

from ...errors import ImageError
from ...overlay import draw_overlay
from ..records import Record, read_records, resolve_image
from ...mockup.fonts import available_fonts, load_font

_COLORS = ((255, 64, 64), (40, 200, 80), (40, 120, 255), (255, 160, 0), (200, 60, 220), (0, 190, 200))


def _spread(records: list[Record], n: int) -> list[Record]:
    """Up to ``n`` records, one per image first (in file order), then second ones, and so on; the
    records of an image in a fixed shuffled order, so a sheet does not show only title bars."""
    by_image: dict[str, list[Record]] = {}
    for r in records:
        by_image.setdefault(r.image_path, []).append(r)
    shuffle = random.Random(0)
    for v in by_image.values():
        shuffle.shuffle(v)
    out: list[Record] = []
    depth = 0
    while len(out) < n and any(len(v) > depth for v in by_image.values()):
        for v in by_image.values():
            if len(v) > depth and len(out) < n:
                out.append(v[depth])
        depth += 1
    return out


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if line and draw.textlength(trial, font=font) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [lines[max_lines - 1] + " ..."]
    return lines


def contact_sheet(
    records_file: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
    n: int = 8,
    *,
    thumb_width: int = 480,
    columns: int | None = None,
) -> Path:
    """Write a grid of ``n`` record thumbnails (overlay + expressions) to ``out_png``; returns its path.

    Records are spread over images (the first record of each image, then the second...). Each
    caption lists the record's expressions (``|``-separated) and, in grey, its label and id.

    Example:
        >>> import tempfile, pathlib
        >>> from simpleseg_agent.training.synth import GuiScreenGenerator
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = GuiScreenGenerator().generate(2, d)
        >>> contact_sheet(d / "records.jsonl", d / "sheet.png", n=4).name
        'sheet.png'
    """
    records = list(read_records(records_file))
    if not records:
        raise ImageError(f"no records in {records_file}: nothing to put on a contact sheet")
    chosen = _spread(records, max(1, int(n)))
    cols = columns or min(len(chosen), 4 if len(chosen) > 6 else max(1, math.ceil(math.sqrt(len(chosen)))))
    family = available_fonts()[0]
    font = load_font(family.regular, 15)
    small = load_font(family.regular, 12)
    line_h, pad = 19, 8
    thumbs: list[tuple[Image.Image, list[str], str]] = []
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for i, rec in enumerate(chosen):
        path = resolve_image(rec, records_file)
        try:
            with Image.open(path) as im:
                image = im.convert("RGB")
        except OSError as exc:
            raise ImageError(f"cannot read image {path} of record {rec.record_id!r}: {exc}") from None
        holes = [h for p in rec.region.parts for h in p.holes]
        over = draw_overlay(image, polygons_xy_norm=rec.region.polygons, holes_xy_norm=holes,
                            click_xy_norm=rec.point_norm, color=_COLORS[i % len(_COLORS)], alpha=0.35)
        scale = thumb_width / over.width
        thumb = over.resize((thumb_width, max(1, round(over.height * scale))), Image.Resampling.LANCZOS)
        caption = _wrap(scratch, " | ".join(rec.expressions), font, thumb_width, 3)
        info = f"{rec.label}  {rec.record_id}  {rec.image_wh[0]}x{rec.image_wh[1]}"
        thumbs.append((thumb, caption, info))
    rows = math.ceil(len(thumbs) / cols)
    thumb_h = max(t.height for t, _, _ in thumbs)
    cell_w, cell_h = thumb_width + 2 * pad, thumb_h + 2 * pad + 3 * line_h + 16
    sheet = Image.new("RGB", (cols * cell_w, rows * cell_h), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    for k, (thumb, caption, info) in enumerate(thumbs):
        x, y = (k % cols) * cell_w + pad, (k // cols) * cell_h + pad
        sheet.paste(thumb, (x, y))
        draw.rectangle([x - 1, y - 1, x + thumb.width, y + thumb.height], outline=(200, 200, 200))
        ty = y + thumb_h + 4
        for line in caption:
            draw.text((x, ty), line, fill=(20, 20, 20), font=font)
            ty += line_h
        draw.text((x, y + thumb_h + 4 + 3 * line_h), info, fill=(120, 120, 120), font=small)
    out = Path(out_png)
    if out.suffix.lower() != ".png":
        raise ImageError(f"out_png: expected a file name ending in .png, got '{out}'")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    sheet.save(tmp, format="PNG")
    os.replace(tmp, out)
    return out
