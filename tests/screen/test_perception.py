"""The Perceiver's cache: a screen is read once however many threads ask, answers do not depend on the
threads, clear_cache forgets, a failed read is not remembered. Engines are real (Tesseract), wrapped in a
counting wrapper that counts reads."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.errors import ModelError
from simpleseg_agent.screen.grounding import ground
from simpleseg_agent.screen.ocr import TesseractEngine
from simpleseg_agent.screen.perception import Perceiver, ScreenPerception

from .screens import login_form, message_box, toolbar_row


class CountingEngine:
    """A wrapper around a real engine that counts its reads (per screen) and can fail the first ``fail`` of them."""

    def __init__(self, inner, *, fail: int = 0) -> None:
        self.inner, self.name = inner, inner.name
        self.reads: dict[bytes, int] = {}
        self.fail = fail
        self._lock = threading.Lock()

    def read(self, image: Image.Image):
        key = np.asarray(image.convert("RGB")).tobytes()
        with self._lock:
            self.reads[key] = self.reads.get(key, 0) + 1
            failing = self.fail > 0
            self.fail -= failing
        if failing:
            raise ModelError("the engine failed (made to fail by the counting wrapper)")
        return self.inner.read(image)

    @property
    def total(self) -> int:
        return sum(self.reads.values())


@pytest.fixture(scope="module")
def screens():
    return {"form": login_form()[0], "toolbar": toolbar_row()[0], "dialog": message_box()[0]}


QUERIES = [("form", "the Log in button"), ("form", "the Password field"), ("form", "the Help button"),
           ("form", "the Remember me checkbox"), ("toolbar", "the second Edit button from the left"),
           ("toolbar", "the Delete button right of Row B"), ("toolbar", "the Edit button"), ("dialog", "the OK button"),
           ("dialog", "the Cancel button"), ("dialog", "the Confirm changes heading")]


def _answer(g):
    return (g.found, g.xyxy_px, g.click_xy_px, g.stage, g.words, len(g.shortlist), g.reason)


@pytest.mark.timeout(180)
def test_eight_threads_read_each_screen_once_and_answer_as_one(screens):
    sequential = Perceiver(TesseractEngine())
    expected = {(s, q): _answer(ground(q, sequential.perceive(screens[s]))) for s, q in QUERIES}
    engine = CountingEngine(TesseractEngine())
    shared = Perceiver(engine)
    jobs = [(s, q) for _ in range(4) for s, q in QUERIES]
    barrier = threading.Barrier(8)

    def run(k: int):
        barrier.wait()  # all eight ask at once
        return [(jobs[i], _answer(ground(jobs[i][1], shared.perceive(screens[jobs[i][0]])))) for i in range(k, len(jobs), 8)]

    with ThreadPoolExecutor(8) as pool:
        got = [x for part in pool.map(run, range(8)) for x in part]
    assert len(got) == len(jobs)
    for job, answer in got:
        assert answer == expected[job], job
    assert engine.total == 3 and sorted(engine.reads.values()) == [1, 1, 1]
    assert len(shared) == 3
    # the answers are real: the drawn screen's Log in button and a not-found
    assert expected[("form", "the Log in button")][0] and not expected[("form", "the Help button")][0]


@pytest.mark.timeout(120)
def test_threads_share_one_perception_object(screens):
    shared = Perceiver(CountingEngine(TesseractEngine()))
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: shared.perceive(screens["dialog"]), range(8)))
    assert all(p is got[0] for p in got) and isinstance(got[0], ScreenPerception)
    assert got[0].engine == "tesseract" and got[0].read_s > 0


@pytest.mark.timeout(120)
def test_clear_cache_forgets_screens(screens):
    engine = CountingEngine(TesseractEngine())
    p = Perceiver(engine)
    first = p.perceive(screens["dialog"])
    assert p.perceive(screens["dialog"]) is first and engine.total == 1 and len(p) == 1
    p.clear_cache()
    assert len(p) == 0
    again = p.perceive(screens["dialog"])
    assert again is not first and engine.total == 2
    assert [w.text for w in again.words] == [w.text for w in first.words]


@pytest.mark.timeout(120)
def test_a_failed_read_is_not_cached(screens):
    engine = CountingEngine(TesseractEngine(), fail=1)
    p = Perceiver(engine)
    with pytest.raises(ModelError, match="made to fail"):
        p.perceive(screens["dialog"])
    assert len(p) == 0
    ok = p.perceive(screens["dialog"])
    assert engine.total == 2 and len(p) == 1 and any(w.text == "OK" for w in ok.words)


@pytest.mark.timeout(120)
def test_threads_waiting_on_a_failed_read_all_see_the_failure_then_one_read_succeeds(screens):
    engine = CountingEngine(TesseractEngine(), fail=1)
    p = Perceiver(engine)
    barrier = threading.Barrier(4)

    def ask(_):
        barrier.wait()
        try:
            return p.perceive(screens["form"])
        except ModelError as exc:
            return exc

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(ask, range(4)))
    errors = [g for g in got if isinstance(g, ModelError)]
    assert errors, "the failed read reached nobody"
    # every thread got the failure or a good reading; none hangs; reads are one failed plus at most one good one
    assert all(isinstance(g, (ModelError, ScreenPerception)) for g in got) and engine.total <= 2
    assert p.perceive(screens["form"]).words and len(p) == 1


@pytest.mark.timeout(120)
def test_the_cache_keeps_the_last_screens(screens):
    engine = CountingEngine(TesseractEngine())
    p = Perceiver(engine, cache_size=2)
    for name in ("form", "toolbar", "dialog"):
        p.perceive(screens[name])
    assert len(p) == 2
    p.perceive(screens["dialog"])
    assert engine.total == 3  # the latest is remembered
    p.perceive(screens["form"])
    assert engine.total == 4  # the oldest was forgotten
    none = Perceiver(CountingEngine(TesseractEngine()), cache_size=0)
    none.perceive(screens["dialog"]), none.perceive(screens["dialog"])
    assert none.engine.total == 2 and len(none) == 0


@pytest.mark.timeout(120)
def test_a_screen_is_keyed_by_its_pixels():
    a = Image.new("RGB", (64, 32), "white")
    b = a.copy()
    b.putpixel((5, 5), (0, 0, 0))
    assert Perceiver.key(a) == Perceiver.key(a.copy()) != Perceiver.key(b)
    assert Perceiver.key(a) != Perceiver.key(Image.new("RGB", (32, 64), "white"))


@pytest.mark.timeout(120)
def test_boxes_are_computed_once_from_the_pixels(screens):
    p = Perceiver(TesseractEngine()).perceive(screens["dialog"])
    assert p.boxes_ is None
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: p.boxes, range(4)))
    assert all(b is got[0] for b in got) and got[0].shape[1] == 4 and len(got[0]) > 2


@pytest.mark.timeout(240)
def test_one_simpleseg_from_eight_threads(shipped_seg, screens):
    """The tools' perceiver under eight threads: the same answers as one by one, each screen read once."""
    seg = shipped_seg
    queries = [(s, q) for s, q in QUERIES if q != "the Confirm changes heading"]
    seg.clear_screen_cache()
    expected = {(s, q): _snap(seg.locate_box(screens[s], q)) for s, q in queries}
    perceiver = seg.perceiver
    inner, inner2 = perceiver.engine, perceiver.second_engine
    perceiver.engine = CountingEngine(inner)
    perceiver.second_engine = CountingEngine(inner2) if inner2 is not None else None
    try:
        seg.clear_screen_cache()
        jobs = [(s, q) for _ in range(3) for s, q in queries]
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda job: (job, _snap(seg.locate_box(screens[job[0]], job[1]))), jobs))
        for job, answer in got:
            assert answer == expected[job], job
        assert perceiver.engine.total == 3 and sorted(perceiver.engine.reads.values()) == [1, 1, 1]
        if perceiver.second_engine is not None:
            assert all(n == 1 for n in perceiver.second_engine.reads.values())
    finally:
        perceiver.engine, perceiver.second_engine = inner, inner2
        seg.clear_screen_cache()
    assert expected[("form", "the Log in button")][0] and not expected[("form", "the Help button")][0]


def _snap(r):
    return (r.ok, r.xyxy_px, r.click.xy_px if r.ok else None, r.stage, r.words_matched, r.error.kind if r.error else None)
