"""Synthetic GUI screens: properties of the generated records, determinism, config checks, the CLI."""

import argparse
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.mockup.layout import rounded_rect_px
from simpleseg_agent.geometry import Region, region_to_mask
from simpleseg_agent.training.records import read_records
from simpleseg_agent.training.synth import GuiScreenGenerator, GuiSynthConfig, SynthConfigError
from simpleseg_agent.training.synth._common import Candidate, choose_expressions, color_word, position_phrases
from simpleseg_agent.training.synth.cli import add_synth_commands
from simpleseg_agent.training.synth.gui_expressions import TYPE_WORDS
from simpleseg_agent.training.synth.vocab import ICON_WORDS

N_SCREENS = 20
DIFFICULTIES = ("starter", "easy", "medium", "hard")
_CACHE: dict = {}


def screens(difficulty: str):
    """20 screens (image, records) and their layouts per difficulty, generated once per session."""
    if difficulty not in _CACHE:
        gen = GuiScreenGenerator(GuiSynthConfig(difficulty=difficulty))
        _CACHE[difficulty] = [(gen.sample(i, seed=7), gen.layout(i, seed=7)) for i in range(N_SCREENS)]
    return _CACHE[difficulty]


def mask_near(record):
    """The record's mask rasterized on the crop around it (a full 1920x1080 frame per record is slow)."""
    polys = record.region.polygons_px(record.image_wh)
    pts = np.concatenate(polys)
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    crop = Region.from_px([p - (x0, y0) for p in polys], (x1 - x0, y1 - y0))
    return region_to_mask(crop, (x1 - x0, y1 - y0)), (x0, y0)


def all_records(difficulty):
    return [r for s, _ in screens(difficulty) for r in s.records]


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_every_polygon_is_inside_the_image(difficulty):
    recs = all_records(difficulty)
    assert len(recs) >= N_SCREENS * 3
    for r in recs:
        for part in r.region.parts:
            for ring in part.rings:
                assert ring.min() >= 0.0 and ring.max() <= 1.0, r.record_id


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_vertex_order_is_canonical(difficulty):
    for r in all_records(difficulty):
        assert r.region.canonical().allclose(r.region), r.record_id


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_an_expression_names_the_target(difficulty):
    for r in all_records(difficulty):
        names = [w.lower() for w in TYPE_WORDS[r.label]]
        names += [t.lower() for t in (r.meta["text"], r.meta["name"]) if t]
        if r.label == "icon_button":
            names += [w.lower() for w in ICON_WORDS[r.meta["name"]]]
        assert any(n in e.lower() for e in r.expressions for n in names), (r.label, r.meta, r.expressions)
        assert 1 <= len(r.expressions) <= 3


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_expressions_are_unique_on_their_screen(difficulty):
    for s, _ in screens(difficulty):
        seen = Counter(e.lower() for r in s.records for e in r.expressions)
        assert all(c == 1 for c in seen.values()), [e for e, c in seen.items() if c > 1]


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_elements_do_not_overlap(difficulty):
    for _, layout in screens(difficulty):
        boxes = np.array([e.box for e in layout.elements])
        for i in range(len(boxes)):
            a = boxes[i]
            others = boxes[i + 1:]
            hit = (others[:, 0] < a[2]) & (a[0] < others[:, 2]) & (others[:, 1] < a[3]) & (a[1] < others[:, 3])
            assert not hit.any(), (layout.elements[i], [layout.elements[i + 1 + k] for k in np.flatnonzero(hit)])


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_targets_are_visible(difficulty):
    """The region covers pixels whose colour differs from the surface behind the element."""
    for s, _ in screens(difficulty):
        rgb = np.asarray(s.image).astype(int)
        for r in s.records:
            mask, (x0, y0) = mask_near(r)
            assert mask.sum() >= 20, r.record_id
            crop = rgb[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]]
            differs = np.abs(crop[mask] - np.array(r.meta["bg_rgb"])).sum(axis=1) > 30
            assert differs.sum() >= 6 and differs.mean() >= 0.02, (r.record_id, r.label, differs.mean())


def test_difficulty_knob_changes_density_resolution_and_font():
    stats = {}
    for d in DIFFICULTIES:
        recs = all_records(d)
        stats[d] = (len(recs) / N_SCREENS, np.mean([r.image_wh[0] for r in recs]), np.mean([r.meta["font_px"] for r in recs]))
    assert stats["easy"][0] < stats["medium"][0] < stats["hard"][0]
    assert stats["easy"][1] < 720 and stats["hard"][1] >= 1600
    assert stats["easy"][2] > stats["medium"][2] > stats["hard"][2]


def test_starter_puts_a_small_window_anywhere():
    """Starter screens: fewer elements than easy, and the window (so its close button) moves around
    the desktop far more than on easy screens, where the window nearly fills the screen."""

    def close_centres(difficulty):
        return np.array([r.region.xyxy[:2] for r in all_records(difficulty) if r.meta["name"] == "close"])

    starter, easy = close_centres("starter"), close_centres("easy")
    assert len(starter) == len(easy) == N_SCREENS  # one close button per screen
    assert (starter.std(axis=0) > 2 * easy.std(axis=0)).all(), (starter.std(axis=0), easy.std(axis=0))
    assert len(all_records("starter")) < len(all_records("easy"))


def test_all_widget_kinds_and_themes_appear():
    recs = all_records("medium") + all_records("hard")
    assert {r.label for r in recs} == set(TYPE_WORDS)
    assert {r.meta["theme"] for r in recs} == {"light", "dark", "colorful"}
    hows = Counter(h for r in recs for h in r.meta["how"])
    assert {"text", "type", "position", "relation", "icon", "state"} <= set(hows)


def test_widgets_option_restricts_kinds():
    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="medium", widgets=("button",)))
    labels = {r.label for i in range(6) for r in gen.sample(i).records}
    assert labels <= {"button", "icon_button", "text"}  # title-bar controls and the title are always there
    assert "button" in labels


def test_same_seed_same_bytes_and_prefix_property(tmp_path):
    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="medium"))
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(3, a, seed=5)
    gen.generate(3, b, seed=5)
    GuiScreenGenerator(GuiSynthConfig(difficulty="medium")).generate(5, c, seed=5)
    assert (a / "records.jsonl").read_bytes() == (b / "records.jsonl").read_bytes()
    for i in range(3):
        name = f"images/{i:06d}.png"
        assert (a / name).read_bytes() == (b / name).read_bytes() == (c / name).read_bytes()
    lines_a = (a / "records.jsonl").read_text().splitlines()
    assert (c / "records.jsonl").read_text().splitlines()[: len(lines_a)] == lines_a
    other = tmp_path / "d"
    gen.generate(1, other, seed=6)
    assert (other / "images/000000.png").read_bytes() != (a / "images/000000.png").read_bytes()


def test_workers_give_the_same_output(tmp_path):
    gen = GuiScreenGenerator(GuiSynthConfig(difficulty="easy"))
    gen.generate(4, tmp_path / "one", seed=1)
    gen.generate(4, tmp_path / "two", seed=1, workers=2)
    for name in ["records.jsonl"] + [f"images/{i:06d}.png" for i in range(4)]:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"difficulty": "extreme"}, "difficulty must be one of"),
    ({"width_range": (900, 700)}, "swap them"),
    ({"width_range": (700,)}, "(min, max) pair"),
    ({"elements_range": (0, 5)}, "elements_range must lie in"),
    ({"font_px_range": (60, 80), "width_range": (640, 700)}, "too small for 60 px text"),
    ({"themes": ()}, "themes is empty"),
    ({"themes": ("neon",)}, "themes entry must be one of"),
    ({"widgets": ("slider",)}, "widgets entry must be one of"),
    ({"menubar_prob": 1.5}, "probability"),
    ({"max_expressions": 0}, "max_expressions"),
    ({"corner_tolerance_px": -1}, "corner_tolerance_px"),
    ({"engine": "webkit"}, "engine must be one of"),
])
def test_config_errors_say_how_to_fix(kwargs, fragment):
    with pytest.raises(SynthConfigError, match=None) as info:
        GuiSynthConfig(**kwargs)
    assert fragment in str(info.value)


def test_preset_fills_only_unset_fields():
    cfg = GuiSynthConfig(difficulty="hard", font_px_range=(16, 16))
    assert cfg.font_px_range == (16, 16) and cfg.width_range[0] >= 1600


@pytest.mark.parametrize("box, radius, n", [
    ((0, 0, 100, 40), 0, 4),
    ((0, 0, 100, 40), 2, 4),  # within tolerance of the square corner
    ((0, 0, 44, 24), 12, 10),  # a pill: 2 chords per corner, the arcs of each end share a vertex
    ((0, 0, 10, 10), 50, 8),  # radius larger than the box: clipped to a circle
])
def test_rounded_rect_polygon(box, radius, n):
    poly = rounded_rect_px(box, radius, 1.0)
    assert len(poly) == n
    assert poly[:, 0].min() >= box[0] and poly[:, 0].max() <= box[2] and poly[:, 1].min() >= box[1] and poly[:, 1].max() <= box[3]
    assert len(np.unique(poly.round(9), axis=0)) == len(poly)


def test_choose_expressions_drops_shared_ones_and_keeps_empty_targets():
    rng = np.random.default_rng(0)
    cands = [[Candidate("the OK button", "text"), Candidate("the button on the left", "position")],
             [Candidate("the ok button", "text")], []]
    out = choose_expressions(cands, rng, 3)
    assert [[c.text for c in cs] for cs in out] == [["the button on the left"], [], []]
    assert choose_expressions([], rng, 3) == []
    # a blocking candidate (the magnifier inside a search field) makes "the search icon" ambiguous
    blocked = choose_expressions([[Candidate("the search icon", "icon"), Candidate("the home icon", "icon")],
                                  [Candidate("the search icon", "block")]], rng, 3)
    assert [[c.text for c in cs] for cs in blocked] == [["the home icon"], []]
    # a block alone never becomes an expression
    assert choose_expressions([[Candidate("the search icon", "block")]], rng, 3) == [[]]


@pytest.mark.parametrize("rgb, word", [((30, 90, 220), "blue"), ((220, 40, 40), "red"), ((60, 180, 80), "green"),
                                       ((128, 128, 128), None), ((250, 250, 250), None), ((0, 0, 0), None)])
def test_color_words(rgb, word):
    assert color_word(rgb) == word


def test_position_phrases_need_a_clear_margin():
    # two boxes side by side: left/right; no top/bottom since their rows overlap
    assert position_phrases((0, 0, 10, 10), [(20, 2, 30, 12)], (100, 100)) == ["on the left", "leftmost"]
    # overlapping spans: no phrase at all
    assert position_phrases((0, 0, 10, 10), [(5, 5, 15, 15)], (100, 100)) == []


def test_cli_writes_images_records_and_a_contact_sheet(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="simpleseg data")
    add_synth_commands(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "gui"
    args = parser.parse_args(["synth", "gui", "-n", "3", "--out", str(out), "--seed", "2", "--no-progress",
                              "--difficulty", "easy", "--themes", "dark,light"])
    assert args.func(args) == 0
    assert "wrote 3 images" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "images").iterdir()) == ["000000.png", "000001.png", "000002.png"]
    recs = list(read_records(out / "records.jsonl"))
    assert recs and {r.meta["theme"] for r in recs} <= {"dark", "light"}
    for r in recs:
        assert (out / r.image_path).is_file()
    with Image.open(out / "contact_sheet.png") as sheet:
        assert sheet.format == "PNG" and sheet.width >= 480 and sheet.height >= 200
    bad = parser.parse_args(["synth", "gui", "-n", "1", "--out", str(tmp_path / "bad"), "--width-range", "700,600"])
    with pytest.raises(SynthConfigError, match="swap them"):
        bad.func(bad)
    with pytest.raises(SystemExit):
        parser.parse_args(["synth", "gui", "-n", "0", "--out", str(out)])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (apt-get install chromium)")
def test_chromium_engine_renders_the_same_layouts(tmp_path):
    with GuiScreenGenerator(GuiSynthConfig(difficulty="easy", engine="chromium")) as gen:
        s1 = gen.sample(0, seed=3)
        s2 = gen.sample(0, seed=3)
    pil = GuiScreenGenerator(GuiSynthConfig(difficulty="easy")).sample(0, seed=3)
    assert s1.image.size == pil.image.size
    assert np.array_equal(np.asarray(s1.image), np.asarray(s2.image))
    assert [r.to_json() for r in s1.records] == [r.to_json() for r in s2.records]
    assert {r.label for r in s1.records} == {r.label for r in pil.records}
    for r in s1.records:
        assert r.meta["engine"] == "chromium"
        mask = region_to_mask(r.region, r.image_wh)
        rgb = np.asarray(s1.image).astype(int)
        assert (np.abs(rgb[mask] - np.array(r.meta["bg_rgb"])).sum(axis=1) > 30).sum() >= 6, r.record_id


def test_records_point_inside_region():
    from simpleseg_agent.geometry import point_in_region

    for r in all_records("easy")[:40]:
        assert point_in_region(r.point_norm, r.region)


def test_contact_sheet_reads_a_moved_folder(tmp_path):
    gen = GuiScreenGenerator()
    gen.generate(2, tmp_path / "a")
    moved = Path(shutil.move(str(tmp_path / "a"), str(tmp_path / "b")))
    from simpleseg_agent.training.synth import contact_sheet

    out = contact_sheet(moved / "records.jsonl", moved / "sheet.png", n=3)
    assert out.is_file()


def test_an_existing_dataset_is_not_mixed_with_a_new_one(tmp_path):
    from simpleseg_agent.training.synth import GuiScreenGenerator, SynthConfigError

    gen = GuiScreenGenerator()
    gen.generate(3, tmp_path, seed=0)
    with pytest.raises(SynthConfigError, match="already holds a dataset"):
        gen.generate(2, tmp_path, seed=1)
    gen.generate(2, tmp_path, seed=1, overwrite=True)
    assert len(list((tmp_path / "images").iterdir())) == 2  # the third old image is gone
