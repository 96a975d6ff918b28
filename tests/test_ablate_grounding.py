"""``tools/ablate_grounding.py`` on a records file of real screens: its table is what grounding gives on the words
it cached, rule by rule, and it takes any records file (the training set's apps), not only a benchmark split."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from simpleseg_agent.geometry import point_in_region
from simpleseg_agent.screen.grounding import RULES, ground
from simpleseg_agent.screen.perception import ScreenPerception
from simpleseg_agent.screen.words import ScreenWord, tesseract_path
from simpleseg_agent.training.records import read_records, resolve_image

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "benchmarks" / "real-ui" / "dev.jsonl"


@pytest.mark.timeout(240)
def test_the_ablation_table_is_grounding_on_the_cached_words_of_a_records_file(tmp_path: Path) -> None:
    if not tesseract_path():
        if os.environ.get("SIMPLESEG_REQUIRE_OCR"):
            pytest.fail("tesseract is required here (apt-get install tesseract-ocr)")
        pytest.skip("tesseract is not installed")
    rows = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["image_path"] == rows[0]["image_path"]][:8]
    for r in rows:  # another folder: the image paths absolute
        r["image_path"] = str(DEV.parent / r["image_path"])
    data = tmp_path / "some.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    chosen = list(read_records(data))
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "ablate_grounding.py"), "--data", str(data),
                          "--engines", "tesseract", "--cache", str(tmp_path / "cache"), "--json", str(tmp_path / "t.json")],
                         check=False, capture_output=True, text=True, timeout=200, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    table = json.loads((tmp_path / "t.json").read_text())["tesseract"]
    assert table["n"] == len(chosen) == 8
    assert set(table["click_acc"]) == {"all rules", "OCR-only baseline", *(f"without {r}" for r in RULES)}
    # the same words (from the script's cache) grounded here give the table's first row
    (cached,) = (tmp_path / "cache" / "tesseract").glob("*.json")
    words = [ScreenWord(tuple(w[0]), w[1], w[2]) for w in json.loads(cached.read_text())["words"]]
    with Image.open(resolve_image(chosen[0], data)) as im:
        p = ScreenPerception.from_image(im, words=words, engine="tesseract")
    W, H = p.image_wh
    hits = []
    for r in chosen:
        g = ground(r.expressions[0], p)
        hits.append(bool(g.found and point_in_region((g.click_xy_px[0] / W, g.click_xy_px[1] / H), r.region)))
    assert table["click_acc"]["all rules"] == pytest.approx(sum(hits) / len(hits))
    assert "## tesseract: 8 queries on 1 screens" in out.stdout
