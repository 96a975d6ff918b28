"""Synthetic anime scenes: exact masks (holes, thin parts, occlusion), expressions, determinism, the CLI."""

import argparse
from collections import Counter

import cv2
import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.geometry import mask_iou, region_to_mask
from simpleseg_agent.training.records import read_records
from simpleseg_agent.training.synth import CATEGORY_WORDS, AnimeSceneGenerator, AnimeSynthConfig, SynthConfigError
from simpleseg_agent.training.synth.anime_shapes import CartoonObject, Step, draw_object
from simpleseg_agent.training.synth.cli import add_synth_commands

N_SCENES = 20
DIFFICULTIES = ("easy", "medium", "hard")
_CACHE: dict = {}


def scenes(difficulty: str):
    if difficulty not in _CACHE:
        gen = AnimeSceneGenerator(AnimeSynthConfig(difficulty=difficulty))
        _CACHE[difficulty] = [gen.sample(i, seed=11) for i in range(N_SCENES)]
    return _CACHE[difficulty]


def pairs(difficulty):
    return [(s, r, m) for s in scenes(difficulty) for r, m in zip(s.records, s.masks)]


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_polygons_inside_and_canonical(difficulty):
    ps = pairs(difficulty)
    assert len(ps) >= N_SCENES
    for _, r, _ in ps:
        assert r.region.canonical().allclose(r.region), r.record_id
        for part in r.region.parts:
            for ring in part.rings:
                assert ring.min() >= 0.0 and ring.max() <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_regions_match_the_exact_masks(difficulty):
    ious = [mask_iou(region_to_mask(r.region, r.image_wh), m) for _, r, m in pairs(difficulty)]
    assert min(ious) >= 0.95 and np.mean(ious) >= 0.99


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_expressions_name_the_label_and_are_unique(difficulty):
    for s in scenes(difficulty):
        seen = Counter(e.lower() for r in s.records for e in r.expressions)
        assert all(c == 1 for c in seen.values()), seen
        for r in s.records:
            words = CATEGORY_WORDS[r.label]
            assert any(w in e for e in r.expressions for w in words), (r.label, r.expressions)


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_targets_are_visible(difficulty):
    """Enough pixels, and most of them are not the sky or ground colour."""
    cfg = AnimeSynthConfig(difficulty=difficulty)
    for s, r, m in pairs(difficulty):
        assert m.sum() >= cfg.min_visible_px and r.meta["visible_frac"] >= cfg.min_visible_frac
        rgb = np.asarray(s.image).astype(int)[m]
        background = np.array(r.meta["background_rgb"])
        is_bg = (np.abs(rgb[:, None, :] - background[None]).sum(axis=2) == 0).any(axis=1)
        assert is_bg.mean() < 0.5, (r.record_id, r.label, is_bg.mean())


def test_holes_thin_parts_and_occlusion_are_present():
    ps = pairs("easy") + pairs("medium") + pairs("hard")
    assert sum(r.region.has_holes for _, r, _ in pairs("medium")) >= 1
    with_holes = {r.label for _, r, _ in ps if r.region.has_holes}
    assert with_holes & {"donut", "tire", "swim_ring", "mug"}
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    thin = 0
    for _, _, m in pairs("medium"):
        opened = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
        thin += int((m & ~opened).sum() >= 30)
    assert thin >= 5
    assert any(r.meta["visible_frac"] < 0.98 for _, r, _ in pairs("hard"))  # some objects are partly hidden
    assert len({r.label for _, r, _ in ps}) >= 12


def test_a_hole_is_background_in_the_image():
    """A donut's hole shows what is behind it, and is outside the donut's mask and region."""
    gen = AnimeSceneGenerator(AnimeSynthConfig(difficulty="easy", categories=("donut",), objects_range=(1, 1)))
    s = gen.sample(0)
    (r,), (m,) = s.records, s.masks
    assert r.region.has_holes
    hole = np.asarray(r.region.parts[0].holes[0]).mean(axis=0) * r.image_wh
    x, y = int(hole[0]), int(hole[1])
    assert not m[y, x] and not region_to_mask(r.region, r.image_wh)[y, x]
    assert tuple(np.asarray(s.image)[y, x]) in {tuple(c) for c in r.meta["background_rgb"]}


def test_difficulty_knob():
    n = {d: np.mean([len(s.records) for s in scenes(d)]) for d in DIFFICULTIES}
    w = {d: np.mean([s.image.size[0] for s in scenes(d)]) for d in DIFFICULTIES}
    assert n["easy"] < n["medium"] < n["hard"] and w["easy"] < w["medium"] < w["hard"]


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path):
    gen = AnimeSceneGenerator(AnimeSynthConfig(difficulty="hard"))
    gen.generate(2, tmp_path / "a", seed=3)
    gen.generate(3, tmp_path / "b", seed=3)
    for i in range(2):
        assert (tmp_path / "a" / f"images/{i:06d}.png").read_bytes() == (tmp_path / "b" / f"images/{i:06d}.png").read_bytes()
    a = (tmp_path / "a" / "records.jsonl").read_text().splitlines()
    assert (tmp_path / "b" / "records.jsonl").read_text().splitlines()[: len(a)] == a


@pytest.mark.parametrize("kwargs, fragment", [
    ({"difficulty": "insane"}, "difficulty must be one of"),
    ({"objects_range": (5, 2)}, "swap them"),
    ({"outline_px_range": (0, 2)}, "outline_px_range must lie in"),
    ({"categories": ("dragon",)}, "categories entry must be one of"),
    ({"categories": ("sword",)}, "nothing to place on its own"),
    ({"min_visible_frac": 2.0}, "min_visible_frac"),
    ({"epsilon_frac": -1.0}, "epsilon_frac"),
    ({"token_budget": 10}, "token_budget"),
])
def test_config_errors(kwargs, fragment):
    with pytest.raises(SynthConfigError) as info:
        AnimeSynthConfig(**kwargs)
    assert fragment in str(info.value)


def test_token_budget_caps_the_answer():
    from simpleseg_agent.grammar import QwenTokenCounter, format_polygons

    counter = QwenTokenCounter()
    gen = AnimeSceneGenerator(AnimeSynthConfig(difficulty="easy", token_budget=200))
    for r in gen.sample(1).records:
        assert counter.count(format_polygons(r.region.polygons)) <= 200


def test_draw_object_coverage_includes_the_outline_and_excludes_cuts():
    obj = CartoonObject("donut", [Step("fill", [("circle", (50, 50), 30)], (200, 150, 100)),
                                  Step("cut", [("circle", (50, 50), 10)])], outline=3)
    (x0, y0), color, cover = draw_object(obj, (100, 100))
    assert not cover[50 - y0, 50 - x0]  # the hole
    assert cover[50 - y0, 50 + 31 - x0]  # the outside half of the outline stroke
    assert tuple(color[50 - y0, 50 + 30 - x0]) == obj.ink
    assert draw_object(CartoonObject("ball", [Step("fill", [("circle", (-500, -500), 10)])]), (100, 100)) is None


@pytest.mark.slow
def test_cli_anime(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="simpleseg data")
    add_synth_commands(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "anime"
    args = parser.parse_args(["synth", "anime", "-n", "2", "--out", str(out), "--no-progress", "--json",
                              "--difficulty", "medium", "--no-overlap"])
    assert args.func(args) == 0
    assert '"images": 2' in capsys.readouterr().out
    recs = list(read_records(out / "records.jsonl"))
    assert recs and all((out / r.image_path).is_file() for r in recs)
    with Image.open(out / "contact_sheet.png") as sheet:
        assert sheet.format == "PNG"
