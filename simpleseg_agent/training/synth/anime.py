"""Synthetic anime / cartoon scenes with exact masks: holes, thin parts, occlusion.

A scene is a flat sky over flat ground with a sun and clouds, trees, characters assembled from
shapes (a girl with long hair and a dress, a boy with spiky hair; thin arms), cats with thin tails
and whiskers, props — a donut, a tire and a swim ring (holes), a mug (its handle makes a hole),
a sword, a broom, a flag and a balloon on a string (thin parts), a beach ball — and speech or
thought bubbles with a tail or trailing puffs. Outlines are dark strokes drawn over the fills, with
no anti-aliasing, so every pixel belongs to exactly one object or to the background.

Masks: an object's mask is the pixels it painted that no later object painted over (its outline
included, its holes excluded). Objects whose visible part is below ``min_visible_px`` pixels or
``min_visible_frac`` of their full area are not targets, but still count when checking that an
expression is unique. Regions come from :func:`~simpleseg_agent.geometry.mask_to_region` with
``holes=True`` (the answer text keeps outer rings only, as the reference format does).

Example:
    >>> gen = AnimeSceneGenerator(AnimeSynthConfig(difficulty="easy"))
    >>> s = gen.sample(0, seed=0)
    >>> len(s.records) == len(s.masks) and all(r.source == "anime-synth" for r in s.records)
    True
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ...geometry import mask_to_region
from ..records import Record
from . import anime_shapes as sh
from ._common import (
    Candidate,
    SynthConfigError,
    SynthSample,
    check_choice,
    check_range,
    choose_expressions,
    help_field,
    image_name,
    position_expression,
    position_phrases,
    sample_rng,
)

_SALT = 0x616E69  # "ani"
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")

#: Category -> the nouns that name it (first: the main one). Record labels are the categories.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "girl": ("girl", "character", "person"),
    "boy": ("boy", "character", "person"),
    "cat": ("cat", "animal"),
    "donut": ("donut", "doughnut"),
    "tire": ("tire",),
    "swim_ring": ("swim ring", "ring"),
    "mug": ("mug", "cup"),
    "sword": ("sword",),
    "broom": ("broom",),
    "flag": ("flag",),
    "balloon": ("balloon",),
    "ball": ("ball", "beach ball"),
    "tree": ("tree",),
    "sun": ("sun",),
    "cloud": ("cloud",),
    "speech_bubble": ("speech bubble", "bubble"),
    "thought_bubble": ("thought bubble", "bubble"),
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_WORDS)

_HAIR = (("red", (215, 55, 50)), ("blonde", (250, 210, 90)), ("black", (40, 35, 45)), ("brown", (125, 78, 42)),
         ("pink", (250, 150, 190)), ("blue", (80, 130, 230)), ("green", (80, 180, 110)), ("purple", (150, 90, 200)),
         ("white", (238, 238, 245)))
_COLORS = (("red", (225, 60, 60)), ("blue", (60, 110, 225)), ("green", (70, 180, 90)), ("yellow", (250, 215, 60)),
           ("purple", (150, 90, 205)), ("orange", (250, 150, 50)), ("pink", (245, 140, 185)))
_CAT_COLORS = (("orange", (240, 150, 60)), ("gray", (150, 150, 160)), ("black", (55, 52, 60)), ("white", (245, 245, 245)))
_FROSTING = (("pink", (250, 150, 190)), ("chocolate", (110, 65, 40)), ("white", (250, 250, 250)), ("blue", (120, 180, 250)))
_SKIES = ((140, 200, 250), (250, 188, 135), (45, 55, 105), (250, 208, 228), (185, 232, 222))
_GROUNDS = ((110, 190, 90), (232, 212, 152), (150, 150, 162), (200, 150, 100))
_SAYINGS = ("Hi!", "Hello!", "Wow!", "Yay!", "Look!", "Oh no!", "Let's go!", "Yummy!", "Help!", "Cool!", "Hmm...", "Run!")

#: Weights of the ground objects a scene draws from.
_GROUND_KINDS = {"girl": 2.0, "boy": 2.0, "cat": 1.0, "donut": 1.0, "tire": 0.7, "swim_ring": 0.7, "mug": 1.0,
                 "ball": 0.8, "flag": 0.6, "tree": 0.8}
_HELD = ("sword", "balloon", "broom")

ANIME_PRESETS: dict[str, dict[str, Any]] = {
    "easy": dict(width_range=(512, 640), height_range=(384, 480), objects_range=(2, 4), outline_px_range=(3, 4),
                 overlap=False, bubble_prob=0.3, held_prop_prob=0.3),
    "medium": dict(width_range=(640, 800), height_range=(480, 600), objects_range=(4, 7), outline_px_range=(2, 4),
                   overlap=True, bubble_prob=0.45, held_prop_prob=0.45),
    "hard": dict(width_range=(800, 1024), height_range=(600, 768), objects_range=(7, 12), outline_px_range=(2, 3),
                 overlap=True, bubble_prob=0.5, held_prop_prob=0.5),
}


@dataclass
class AnimeSynthConfig:
    """How synthetic cartoon scenes look. Fields left ``None`` come from the ``difficulty`` preset."""

    difficulty: str = help_field("easy", "preset for the fields left unset: easy (few big objects, no overlap), "
                                         "medium, hard (many objects, occlusion, thinner outlines)")
    width_range: tuple[int, int] | None = help_field(None, "image width in pixels, (min, max)")
    height_range: tuple[int, int] | None = help_field(None, "image height in pixels, (min, max)")
    objects_range: tuple[int, int] | None = help_field(None, "objects per scene, (min, max); a crowded scene may hold fewer")
    outline_px_range: tuple[int, int] | None = help_field(None, "outline thickness in pixels, (min, max)")
    overlap: bool | None = help_field(None, "let objects overlap (occlusion); False places them apart")
    bubble_prob: float | None = help_field(None, "probability that a character gets a speech or thought bubble")
    held_prop_prob: float | None = help_field(None, "probability that a character holds a sword, balloon or broom")
    categories: tuple[str, ...] = help_field(CATEGORIES, "object categories that may appear")
    min_visible_px: int = help_field(150, "objects with fewer visible pixels are not targets")
    min_visible_frac: float = help_field(0.35, "objects with less of their area visible are not targets")
    min_part_px: float = help_field(12.0, "visible fragments smaller than this (pixels) are left out of a region")
    epsilon_frac: float = help_field(0.001, "Douglas-Peucker tolerance of the polygons, a fraction of each perimeter "
                                            "(reference: 0.001; answers of ~600-3000 tokens on these shapes)")
    epsilon_px: float | None = help_field(None, "Douglas-Peucker tolerance in pixels instead (1.0 roughly quarters the "
                                                "answer length for ~0.01 IoU)")
    holes: bool = help_field(True, "keep holes in the regions (the answer text has outer rings only)")
    token_budget: int | None = help_field(None, "fit each region's answer text into this many Qwen2.5 tokens "
                                                "(mask_to_region's token_budget; slower); None: the reference epsilon")
    max_expressions: int = help_field(3, "referring expressions per object, at most")

    def __post_init__(self) -> None:
        check_choice("difficulty", self.difficulty, DIFFICULTIES)
        for k, v in ANIME_PRESETS[self.difficulty].items():
            if getattr(self, k) is None:
                setattr(self, k, v)
        self.width_range = check_range("width_range", tuple(self.width_range), low=128, high=8192)
        self.height_range = check_range("height_range", tuple(self.height_range), low=128, high=8192)
        self.objects_range = check_range("objects_range", tuple(self.objects_range), low=1, high=64)
        self.outline_px_range = check_range("outline_px_range", tuple(self.outline_px_range), low=1, high=16)
        for name in ("bubble_prob", "held_prop_prob", "min_visible_frac"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise SynthConfigError(f"{name} must be a number in [0, 1], got {v!r}")
        self.categories = tuple(self.categories)
        for c in self.categories:
            check_choice("categories entry", c, CATEGORIES)
        if not any(c in _GROUND_KINDS or c in ("sun", "cloud") for c in self.categories):
            raise SynthConfigError(f"categories {self.categories} has nothing to place on its own; "
                                   f"add one of {sorted(_GROUND_KINDS) + ['sun', 'cloud']}")
        if isinstance(self.min_visible_px, bool) or not isinstance(self.min_visible_px, int) or self.min_visible_px < 1:
            raise SynthConfigError(f"min_visible_px must be an integer >= 1, got {self.min_visible_px!r}")
        if not (self.epsilon_frac >= 0 and math.isfinite(self.epsilon_frac)):
            raise SynthConfigError(f"epsilon_frac must be a finite number >= 0 (reference: 0.001), got {self.epsilon_frac!r}")
        if self.epsilon_px is not None and not (isinstance(self.epsilon_px, (int, float)) and math.isfinite(self.epsilon_px)
                                                and self.epsilon_px >= 0):
            raise SynthConfigError(f"epsilon_px must be None or a finite number of pixels >= 0, got {self.epsilon_px!r}")
        if isinstance(self.max_expressions, bool) or not isinstance(self.max_expressions, int) or self.max_expressions < 1:
            raise SynthConfigError(f"max_expressions must be an integer >= 1, got {self.max_expressions!r}")
        if self.token_budget is not None and (isinstance(self.token_budget, bool) or not isinstance(self.token_budget, int)
                                              or self.token_budget < 64):
            raise SynthConfigError(f"token_budget must be None or an integer >= 64 (try 200), got {self.token_budget!r}")


def _pick(rng: np.random.Generator, pool):
    return pool[int(rng.integers(len(pool)))]


@dataclass
class _Placed:
    obj: sh.CartoonObject
    holder: int | None = None  # index of the character holding this prop
    owner: int | None = None  # index of the character a bubble belongs to


class _Scene:
    """Chooses, sizes and places the objects of one scene."""

    def __init__(self, cfg: AnimeSynthConfig, rng: np.random.Generator) -> None:
        self.cfg, self.rng = cfg, rng
        self.W = int(rng.integers(cfg.width_range[0], cfg.width_range[1] + 1))
        self.H = int(rng.integers(cfg.height_range[0], cfg.height_range[1] + 1))
        self.sky = _SKIES[int(rng.integers(len(_SKIES)))]
        self.ground = _GROUNDS[int(rng.integers(len(_GROUNDS)))]
        self.horizon = int(self.H * rng.uniform(0.45, 0.62))
        self.budget = int(rng.integers(cfg.objects_range[0], cfg.objects_range[1] + 1))
        self.placed: list[_Placed] = []
        self.boxes: list[np.ndarray] = []
        self.on = set(cfg.categories)

    def outline(self) -> int:
        return int(self.rng.integers(self.cfg.outline_px_range[0], self.cfg.outline_px_range[1] + 1))

    def _fits(self, obj: sh.CartoonObject, ignore: tuple[int, ...] = ()) -> bool:
        box = sh.object_box(obj)
        if box[2] < 0 or box[0] > self.W or box[3] < 0 or box[1] > self.H:
            return False
        if self.cfg.overlap:
            return True
        for i, b in enumerate(self.boxes):
            if i in ignore:
                continue
            if box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]:
                return False
        return True

    def _add(self, obj: sh.CartoonObject, **kw: Any) -> int:
        self.placed.append(_Placed(obj, **kw))
        self.boxes.append(sh.object_box(obj))
        return len(self.placed) - 1

    def _try(self, make, ignore: tuple[int, ...] = (), tries: int = 25, **kw: Any) -> int | None:
        for _ in range(tries):
            obj = make()
            if self._fits(obj, ignore):
                return self._add(obj, **kw)
        return None

    def ground_point(self, margin: float) -> tuple[float, float, float]:
        """A point on the ground and the depth scale there (1 at the bottom edge, ~0.55 at the horizon)."""
        y = self.rng.uniform(self.horizon + 0.08 * (self.H - self.horizon), self.H - 0.02 * self.H)
        x = self.rng.uniform(margin * self.W, (1 - margin) * self.W)
        return x, y, 0.55 + 0.45 * (y - self.horizon) / (self.H - self.horizon)

    def build(self) -> list[_Placed]:
        rng = self.rng
        easy = not self.cfg.overlap
        sky_cap = self.budget // 3 if any(k in self.on for k in _GROUND_KINDS) else self.budget
        if "sun" in self.on and rng.random() < 0.35 and len(self.placed) < sky_cap:
            self._try(lambda: self._sky_object("sun"))
        if "cloud" in self.on:
            for _ in range(int(rng.integers(0, 3)) if sky_cap < self.budget else self.budget):
                if len(self.placed) >= sky_cap:
                    break
                self._try(lambda: self._sky_object("cloud"))
        kinds = [k for k in _GROUND_KINDS if k in self.on]
        weights = np.array([_GROUND_KINDS[k] for k in kinds])
        misses = 0
        while kinds and len(self.placed) < self.budget and misses < 6:
            kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
            if self._ground_object(kind, big=easy) is None:
                misses += 1
        return self.placed

    def _sky_object(self, kind: str) -> sh.CartoonObject:
        rng, H = self.rng, self.H
        x = rng.uniform(0.1, 0.9) * self.W
        if kind == "sun":
            return sh.sun(rng, (x, rng.uniform(0.12, 0.25) * H), H * rng.uniform(0.05, 0.08), self.outline())
        return sh.cloud(rng, (x, rng.uniform(0.1, 0.3) * H), H * rng.uniform(0.04, 0.07), self.outline())

    def _make(self, kind: str, size: float) -> sh.CartoonObject:
        """One ground object of ``kind`` at a random place, ``size`` pixels tall near the viewer."""
        rng, out = self.rng, self.outline()
        if kind == "tree":
            base = (rng.uniform(0.05, 0.95) * self.W, self.horizon + rng.uniform(0.0, 0.1) * self.H)
            return sh.tree(rng, base, self.H * rng.uniform(0.35, 0.5), out)
        x, y, depth = self.ground_point(0.08)
        s = depth * size
        if kind == "cat":
            return sh.cat(rng, (x, y), 0.45 * s, _pick(rng, _CAT_COLORS), out)
        if kind == "donut":
            return sh.donut(rng, (x, y - 0.2 * s), 0.2 * s, _pick(rng, _FROSTING), out)
        if kind == "tire":
            return sh.tire(rng, (x, y - 0.22 * s), 0.22 * s, out)
        if kind == "swim_ring":
            return sh.swim_ring(rng, (x, y - 0.22 * s), 0.22 * s, _pick(rng, _COLORS), out)
        if kind == "mug":
            return sh.mug(rng, (x, y), 0.32 * s, _pick(rng, _COLORS), out)
        if kind == "ball":
            return sh.ball(rng, (x, y - 0.15 * s), 0.15 * s, _pick(rng, _COLORS), out)
        if kind == "flag":
            return sh.flag(rng, (x, y), 0.9 * s, _pick(rng, _COLORS), out)
        raise ValueError(f"unknown ground object {kind!r}")  # pragma: no cover

    def _ground_object(self, kind: str, big: bool) -> int | None:
        rng = self.rng
        size = self.H * (rng.uniform(0.42, 0.58) if big else rng.uniform(0.3, 0.5))
        if kind not in ("girl", "boy"):
            return self._try(lambda: self._make(kind, size))
        hair, clothes = _pick(rng, _HAIR), _pick(rng, _COLORS)

        def make() -> sh.CartoonObject:
            x, y, depth = self.ground_point(0.08)
            return sh.character(rng, (x, y), depth * size, kind, hair, clothes, self.outline())

        i = self._try(make)
        if i is not None:
            self._accessories(i)
        return i

    def _accessories(self, ci: int) -> None:
        """Maybe a held prop and a speech or thought bubble for character ``ci``."""
        rng, cfg = self.rng, self.cfg
        ch = self.placed[ci].obj
        h = ch.depth - ch.anchors["head_top"][1]
        held = [k for k in _HELD if k in self.on]
        if held and rng.random() < cfg.held_prop_prob and len(self.placed) < self.budget:
            kind = _pick(rng, held)
            side = "hand_r" if rng.random() < 0.5 else "hand_l"
            hx, hy = ch.anchors[side]
            sgn = 1 if side == "hand_r" else -1
            if kind == "sword":
                angle = -math.pi / 2 + sgn * rng.uniform(0.2, 0.9)
                obj = sh.sword(rng, (hx, hy), 0.55 * h, angle, self.outline())
            elif kind == "broom":
                angle = -math.pi / 2 + sgn * rng.uniform(0.1, 0.5) + math.pi
                obj = sh.broom(rng, (hx, hy), 0.75 * h, angle, self.outline())
            else:
                obj = sh.balloon(rng, (hx, hy), 0.1 * h, _pick(rng, [c for c in _COLORS]), self.outline())
            obj.depth = ch.depth + 0.5
            if self._fits(obj, ignore=(ci,)):
                self._add(obj, holder=ci)
        kinds = [k for k in ("speech_bubble", "thought_bubble") if k in self.on]
        if kinds and rng.random() < cfg.bubble_prob and len(self.placed) < self.budget:
            thought = _pick(rng, kinds) == "thought_bubble"
            head = ch.anchors["head"]
            text = _pick(rng, _SAYINGS)
            scale = max(0.5, self.H / 700) * rng.uniform(0.8, 1.1)
            side = 1 if rng.random() < 0.5 else -1
            for _ in range(6):
                c = (head[0] + side * rng.uniform(0.25, 0.5) * h, ch.anchors["head_top"][1] - rng.uniform(0.12, 0.25) * h)
                obj = sh.speech_bubble(rng, c, text, scale, head, self.outline(), thought=thought)
                b = sh.object_box(obj)
                if b[0] >= 0 and b[1] >= 0 and b[2] <= self.W and b[3] <= self.H and self._fits(obj, ignore=(ci,)):
                    self._add(obj, owner=ci)
                    break
                side = -side


def _render(scene: _Scene, placed: list[_Placed]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Draw in depth order; returns the image, the id map (index into ``placed``, -1 background),
    and each object's painted pixel count before occlusion."""
    W, H = scene.W, scene.H
    img = np.empty((H, W, 3), np.uint8)
    img[: scene.horizon] = scene.sky
    img[scene.horizon:] = scene.ground
    ids = np.full((H, W), -1, np.int32)
    full = [0] * len(placed)
    for i in sorted(range(len(placed)), key=lambda k: (placed[k].obj.depth, k)):
        res = sh.draw_object(placed[i].obj, (W, H))
        if res is None:
            continue
        (x0, y0), color, cover = res
        h, w = cover.shape
        img[y0:y0 + h, x0:x0 + w][cover] = color[cover]
        ids[y0:y0 + h, x0:x0 + w][cover] = i
        full[i] = int(cover.sum())
    return img, ids, full


def _describe(placed: list[_Placed], boxes: list, size_wh: tuple[int, int], alive: list[bool]) -> list[list[Candidate]]:
    """Candidate expressions of every object (empty for objects nobody can see)."""
    by_word: dict[str, list[int]] = {}
    for i, p in enumerate(placed):
        if alive[i]:
            for w in CATEGORY_WORDS[p.obj.category]:
                by_word.setdefault(w, []).append(i)
    base: list[list[Candidate]] = []
    for i, p in enumerate(placed):
        if not alive[i]:
            base.append([])
            continue
        o, words = p.obj, CATEGORY_WORDS[p.obj.category]
        c = [Candidate(f"the {w}", "type") for w in words]
        a = o.attrs
        if o.category in ("girl", "boy"):
            c += [Candidate(f"the {w} with {a['hair']} hair", "attribute") for w in words]
            c += [Candidate(f"the {w} in the {a['clothes']} {a['garment']}", "attribute") for w in words]
        elif o.category == "donut":
            c += [Candidate(f"the donut with {a['color']} frosting", "attribute"),
                  Candidate(f"the {a['color']} donut", "attribute")]
        elif "color" in a:
            c += [Candidate(f"the {a['color']} {w}", "attribute") for w in words]
        if "text" in a:
            c += [Candidate(f'the {w} that says "{a["text"]}"', "text") for w in words]
        for w in words:
            others = [boxes[j] for j in by_word[w] if j != i]
            c += [Candidate(position_expression(ph, w), "position") for ph in position_phrases(boxes[i], others, size_wh)]
        base.append(c)
    # relations name the other object by one of its own unique descriptions
    counts = Counter(t for cs in base for t in {x.text.lower() for x in cs})
    names: list[str | None] = []
    for cs in base:
        unique = [x.text for x in cs if counts[x.text.lower()] == 1 and x.how in ("type", "attribute")]
        names.append(min(unique, key=len) if unique else None)
    out = [list(cs) for cs in base]
    for i, p in enumerate(placed):
        if not alive[i]:
            continue
        words = CATEGORY_WORDS[p.obj.category]
        if p.holder is not None and alive[p.holder]:
            if names[p.holder]:
                out[i] += [Candidate(f"the {w} held by {names[p.holder]}", "relation") for w in words]
            hw = CATEGORY_WORDS[placed[p.holder].obj.category]
            out[p.holder] += [Candidate(f"the {w} holding the {words[0]}", "relation") for w in hw]
        if p.owner is not None and alive[p.owner] and names[p.owner]:
            out[i] += [Candidate(f"the {w} of {names[p.owner]}", "relation") for w in words]
    return out


class AnimeSceneGenerator:
    """Generate cartoon scenes: ``sample(i, seed)`` gives an image, its records and their masks."""

    source = "anime-synth"

    def __init__(self, config: AnimeSynthConfig | None = None) -> None:
        self.config = config or AnimeSynthConfig()

    def sample(self, index: int, seed: int = 0) -> SynthSample:
        cfg = self.config
        rng = sample_rng(seed, index, _SALT)
        scene = _Scene(cfg, rng)
        placed = scene.build()
        img, ids, full = _render(scene, placed)
        W, H = scene.W, scene.H
        n = len(placed)
        visible = np.bincount(ids[ids >= 0].ravel(), minlength=n)[:n] if n else np.zeros(0, int)
        alive = [bool(visible[i] >= 20) for i in range(n)]
        boxes: list = []
        for i in range(n):
            if alive[i]:
                ys, xs = np.nonzero(ids == i)
                boxes.append((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
            else:
                boxes.append(None)
        chosen = choose_expressions(_describe(placed, boxes, (W, H), alive), rng, cfg.max_expressions)
        records, masks = [], []
        for i, p in enumerate(placed):
            frac = visible[i] / full[i] if full[i] else 0.0
            if not alive[i] or visible[i] < cfg.min_visible_px or frac < cfg.min_visible_frac or not chosen[i]:
                continue
            mask = ids == i
            region = mask_to_region(mask, holes=cfg.holes, epsilon_frac=cfg.epsilon_frac, epsilon_px=cfg.epsilon_px,
                                    min_area_px=cfg.min_part_px, token_budget=cfg.token_budget)
            if region.is_empty:
                continue
            records.append(Record(
                image_path=image_name(index),
                image_wh=(W, H),
                expressions=[c.text for c in chosen[i]],
                region=region,
                label=p.obj.category,
                source=self.source,
                record_id=f"{index:06d}-{i:03d}",
                meta={
                    "how": [c.how for c in chosen[i]], "attrs": dict(p.obj.attrs), "visible_px": int(visible[i]),
                    "visible_frac": round(float(frac), 4), "box_px": list(boxes[i]),
                    "background_rgb": [list(scene.sky), list(scene.ground)], "difficulty": cfg.difficulty,
                    "seed": int(seed), "index": int(index),
                },
            ))
            masks.append(mask)
        return SynthSample(Image.fromarray(img), records, masks)

    def screen(self, index: int, seed: int = 0) -> tuple[Image.Image, list[Record]]:
        """Scene ``index`` of the run with ``seed``: ``(PIL image, records)``."""
        s = self.sample(index, seed)
        return s.image, s.records

    def generate(self, n: int, out_dir: str | Path, seed: int = 0, **kwargs: Any):
        """Write ``n`` scenes to ``out_dir`` (``images/`` + ``records.jsonl``); see :func:`.dataset.write_dataset`."""
        from .dataset import write_dataset

        return write_dataset(self, n, out_dir, seed=seed, **kwargs)
