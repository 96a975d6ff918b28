"""Crops of real screens as training screens: the model sees a real dialog at its own resolution.

The shipped model reads at most about 448 x 280 pixels of a screen: a 1280 x 800 screenshot shrinks 2.9x and
its 13 px labels to 4 px. :func:`crop_records` cuts windows of ``size_wh`` pixels (about the model's input,
so nothing shrinks) out of captured screens, each around one element, with the queries of every element
that lies whole inside the window; the windows' offsets are random, so the target is not always in the
middle. The tools score their shortlist on such a window too
(:func:`~simpleseg_agent.tools.segmenter._shortlist_view`).

Example (one screen, one element; a 100 x 60 window around it):
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> d = Path(tempfile.mkdtemp()); Image.new("RGB", (400, 300), "white").save(d / "s.png")
    >>> rec = {"image_path": "s.png", "image_wh": [400, 300], "expressions": ["the OK button"], "label": "button",
    ...        "parts": [{"outer": [[0.5, 0.5], [0.6, 0.5], [0.6, 0.55], [0.5, 0.55]], "holes": []}], "source": "x", "record_id": "0"}
    >>> _ = (d / "r.jsonl").write_text(json.dumps(rec) + "\\n")
    >>> n = crop_records(d / "r.jsonl", d / "out", size_wh=(100, 60), progress=False)
    >>> n, Image.open(next((d / "out" / "images").iterdir())).size
    (1, (100, 60))
"""

from __future__ import annotations

import json
import random
import shutil
from collections import defaultdict
from pathlib import Path

from PIL import Image

from ..errors import SimpleSegError

#: The window cut around an element: about the shipped model's input (448 x 280 at most), a little more.
DEFAULT_CROP_WH = (512, 320)


def crop_records(records_file: str | Path, out_dir: str | Path, *, size_wh: tuple[int, int] = DEFAULT_CROP_WH,
                 per_screen: int = 4, seed: int = 0, progress: bool = True) -> int:
    """Write ``out_dir/images/*.png`` and ``out_dir/records.jsonl``: up to ``per_screen`` windows of
    ``size_wh`` pixels per screen of ``records_file``, each around a different element at a random offset,
    with the records of every element whole inside it (coordinates renormalized to the window). Returns the
    number of records written. The folder is written beside ``out_dir`` and renamed when done.
    """
    from .records import read_records, resolve_image

    records_file = Path(records_file)
    out_dir = Path(out_dir)
    w, h = (int(v) for v in size_wh)
    if w < 16 or h < 16:
        raise SimpleSegError(f"size_wh must be at least 16 x 16 px, got {size_wh!r}")
    by_screen: dict[str, list] = defaultdict(list)
    for r in read_records(records_file):
        by_screen[str(resolve_image(r, records_file))].append(r)
    rng = random.Random(seed)
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "images").mkdir(parents=True)
    written = 0
    screens = sorted(by_screen)
    iterator = screens
    if progress:
        from tqdm import tqdm

        iterator = tqdm(screens, desc="crops", unit="screen")
    with (tmp / "records.jsonl").open("w") as f:
        for path in iterator:
            recs = by_screen[path]
            with Image.open(path) as im:
                image = im.convert("RGB")
            W, H = image.size
            if W < w or H < h:
                continue
            boxes = []
            for r in recs:
                x0, y0, x1, y1 = r.region.xyxy
                boxes.append((x0 * W, y0 * H, x1 * W, y1 * H))
            order = list(range(len(recs)))
            rng.shuffle(order)
            used = 0
            for k in order:
                if used >= per_screen:
                    break
                bx0, by0, bx1, by1 = boxes[k]
                if bx1 - bx0 > w or by1 - by0 > h:
                    continue
                left = rng.uniform(max(0.0, bx1 - w), min(bx0, W - w))
                top = rng.uniform(max(0.0, by1 - h), min(by0, H - h))
                left, top = int(left), int(top)
                inside = [i for i, b in enumerate(boxes)
                          if b[0] >= left and b[1] >= top and b[2] <= left + w and b[3] <= top + h]
                name = f"{Path(path).parent.parent.name}-{Path(path).stem}-{used}.png"
                image.crop((left, top, left + w, top + h)).save(tmp / "images" / name)
                for i in inside:
                    r = recs[i]
                    d = r.to_json()
                    d["image_path"] = f"images/{name}"
                    d["image_wh"] = [w, h]
                    d["parts"] = [{"outer": [[(x * W - left) / w, (y * H - top) / h] for x, y in p["outer"]],
                                   "holes": [[[(x * W - left) / w, (y * H - top) / h] for x, y in hole]
                                             for hole in p.get("holes", [])]} for p in d["parts"]]
                    d["record_id"] = f"{name[:-4]}-{r.record_id}"
                    d.setdefault("meta", {})["crop_xywh"] = [left, top, w, h]
                    f.write(json.dumps(d) + "\n")
                    written += 1
                used += 1
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return written


__all__ = ["DEFAULT_CROP_WH", "crop_records"]
