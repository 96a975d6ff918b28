"""The tools: ``segment``, ``locate_point`` and ``locate_box`` on any backend.

:class:`SimpleSeg` binds a backend (a local checkpoint, a server URL, a preset name) to the
prompts and the answer grammar of its model, and returns typed results (:mod:`.results`). It never
raises on a bad answer unless asked (``raise_on_error=True`` or ``result.raise_for_error()``).

Example (with a named fake backend that answers a fixed text; real use passes a model):
    >>> from PIL import Image
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> seg = SimpleSeg(FakeAnswerBackend(["It is at [[[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]]."]))
    >>> r = seg.segment(Image.new("RGB", (200, 100)), "the square")
    >>> r.ok, r.xyxy_px, r.click.xy_px
    (True, (50.0, 25.0, 150.0, 75.0), (100.0, 50.0))
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import numpy as np

from ..backends.base import Backend, GenerationRequest, GenerationResult, ModelPreset
from ..errors import GeometryError, ImageError, ModelError, NotFoundError, ParseError, SimpleSegError
from ..geometry import Region, click_target
from ..grammar import CoordSpace, parse_answer
from ..images import ImageInput, load_image
from ..prompts import Query, build_prompt
from .decoding import Decoding, resolve
from .results import BoxResult, ClickPoint, Latency, PointResult, Segmentation, ToolError

AnswerKind = Literal["mask", "box", "point"]
QueryInput = Union[str, Query]
_RESULT_TYPES = {"mask": Segmentation, "box": BoxResult, "point": PointResult}
_PARSE_KIND = {"mask": "polygons", "box": "box", "point": "point"}


@dataclass
class _Job:
    image: Any
    query: Query
    answer: AnswerKind
    prompt: str = ""
    image_wh: tuple[int, int] | None = None
    error: ToolError | None = None
    pil: Any = None
    chosen: Any = None  # the result choice decoding gave, without a generated answer
    reading: Any = None  # the future of the screen's words (read_text)
    grounding: Any = None  # what grounding on the screen's words found (ground)
    ground_stage: str | None = None  # the grounding stage that decided, where one did
    fallbacks: list[str] = field(default_factory=list)  # steps that did not run as configured, and why


def _as_query(query: QueryInput) -> Query:
    if isinstance(query, Query):
        return query
    if isinstance(query, str):
        return Query.text(query)
    raise TypeError(f"query must be a str or a Query, got {type(query).__name__}")


class SimpleSeg:
    """Segmentation and grounding tools on one model.

    Args:
        model: a :class:`~simpleseg_agent.backends.base.Backend`, a preset name
            (``simpleseg-qwen2.5-vl``, ``qwen3-vl-8b``, ...), a local checkpoint folder, a hub id, or the
            URL of an OpenAI-compatible server (vLLM, SGLang, TGI, ``simpleseg serve``); ``None`` (default):
            the shipped model, :data:`~simpleseg_agent.backends.presets.DEFAULT_MODEL`.
        decoding: how answers are produced and refined (:class:`~simpleseg_agent.tools.decoding.Decoding`:
            consensus samples, constrained decoding, snapping to the screen's elements and what helps it
            choose); its ``None`` fields are the preset's choice. It is resolved once for this model
            (:func:`~simpleseg_agent.tools.decoding.resolve`; a switch asked where it cannot run is a
            :class:`~simpleseg_agent.errors.ModelError`), kept as ``self.decoding``, and recorded in every
            result (``result.decoding``).
        preset: how to prompt the model and read its coordinates (default: from ``model``).
        **backend_kwargs: passed to the backend (``device``, ``dtype``, ``adapter``, ``timeout_s``...; for a
            server URL ``concurrency``, the requests of a batch in flight at once, default 8, and ``guided``,
            ``"auto"``/``"on"``/``"off"``: :class:`~simpleseg_agent.backends.openai_http.OpenAIHTTPBackend`).

    With ``decoding.samples`` K > 0 (consensus decoding), besides the greedy answer K sampled answers are
    asked for and the one that agrees best with the others is returned (mean mask IoU for outlines, box IoU for
    boxes, closeness for points), with ``result.agreement`` (0-1) saying how much they agreed; it costs K + 1
    answers per query. With ``choose_only`` the model only scores the screen's elements and the result's
    ``raw_answer`` is the chosen candidate's text (``answer_tokens`` 0); a busy screen's largest
    :data:`~simpleseg_agent.tools.snapping.MAX_CHOICES` candidates are scored. Where a choice or a snap fails
    (the model could not score), the result says so in ``fallback`` and a warning is issued; ``stage`` names
    what decided the answer.

    With ``decoding.ground`` (the shipped model's default), a text query on a screenshot is first grounded on
    the screen's words and element boxes (:func:`~simpleseg_agent.screen.grounding.ground`, read once per
    screenshot by :attr:`perceiver`): the element the words name is the answer (``stage`` ``words``,
    ``label``, ``role``, ``order``, ``relation``), tied elements are scored by the model (``shortlist``), and
    the model answers as above only where the words cannot decide (the query names no words, or an element
    that may show none). A query that names a button, link, tab or item whose words are not on the screen
    is ``not_found``, never a click on something else. ``words_matched`` and ``candidates`` say what matched.
    """

    def __init__(
        self,
        model: str | Path | Backend | None = None,
        *,
        decoding: Decoding | None = None,
        preset: str | ModelPreset | None = None,
        **backend_kwargs: Any,
    ) -> None:
        from ..backends.presets import DEFAULT_MODEL
        from ..backends.registry import load_backend

        if decoding is not None and not isinstance(decoding, Decoding):
            raise ModelError(f"decoding must be a Decoding (simpleseg_agent.tools.Decoding), got {type(decoding).__name__}")
        stray = sorted(k for k in backend_kwargs if k in {f.name for f in dataclasses.fields(Decoding)})
        if stray:
            raise ModelError(f"{', '.join(stray)}: a decoding setting, not a backend option: pass "
                             f"decoding=Decoding({stray[0]}=...)")
        model = DEFAULT_MODEL if model is None else model
        self.backend = load_backend(model, preset=preset, **backend_kwargs)
        self.preset: ModelPreset = getattr(self.backend, "preset", None) or ModelPreset("custom", str(model))
        try:
            self.decoding: Decoding = resolve(decoding, self.preset, self.backend)
        except SimpleSegError:
            self.backend.close()
            raise
        d = self.decoding
        self._shapes = (d.icon_grow, d.icon_round) if d.shape_extent else None
        self._decoding_dict = d.to_dict()
        self._reader = None
        self._reader_lock = threading.Lock()  # one reader (one OCR thread and cache) however many threads call
        self._perceiver = None

    # public tools ---------------------------------------------------------------------------
    def segment(self, image: ImageInput, query: QueryInput, *, raise_on_error: bool = False) -> Segmentation:
        """The object's polygons, box, area and click target. ``query``: text, or a point/box/mask :class:`Query`."""
        return self._one(image, query, "mask", raise_on_error)

    def locate_point(self, image: ImageInput, query: QueryInput, *, raise_on_error: bool = False) -> PointResult:
        """A point on the object, in pixels and normalized."""
        return self._one(image, query, "point", raise_on_error)

    def locate_box(self, image: ImageInput, query: QueryInput, *, raise_on_error: bool = False) -> BoxResult:
        """The object's box, in pixels and normalized, and its centre as a click point."""
        return self._one(image, query, "box", raise_on_error)

    def run_batch(
        self, images: Sequence[ImageInput], queries: Sequence[QueryInput], answer: AnswerKind = "mask"
    ) -> list[Segmentation | BoxResult | PointResult]:
        """Many queries in one batched model call (one image per query; repeat an image to ask it twice)."""
        if len(images) != len(queries):
            raise ValueError(f"need one image per query, got {len(images)} images and {len(queries)} queries")
        return self._run([_Job(img, _as_query(q), answer) for img, q in zip(images, queries)])

    @property
    def perceiver(self):
        """The :class:`~simpleseg_agent.screen.perception.Perceiver` grounding reads screens with (created on
        first use, shared by every thread; its cache holds the last screens read: ``clear_screen_cache``)."""
        with self._reader_lock:
            if self._perceiver is None:
                from ..screen.perception import Perceiver

                self._perceiver = Perceiver(self.decoding.ocr_engine or "auto")
            return self._perceiver

    def clear_screen_cache(self) -> None:
        """Forget the screens read so far (their words and element boxes).

        Example (a named fake backend):
            >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
            >>> SimpleSeg(FakeAnswerBackend([])).clear_screen_cache()
        """
        with self._reader_lock:
            perceiver = self._perceiver
        if perceiver is not None:
            perceiver.clear_cache()

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        self.backend.close()

    # internals ------------------------------------------------------------------------------
    def _screen_reader(self):
        """The screen reader, started on first use (once, even when threads ask at the same time)."""
        with self._reader_lock:
            if self._reader is None:
                from ..screen.words import ScreenReader

                self._reader = ScreenReader()
            return self._reader

    def _one(self, image, query, answer: AnswerKind, raise_on_error: bool):
        result = self._run([_Job(image, _as_query(query), answer)])[0]
        if raise_on_error:
            result.raise_for_error()
        return result

    def _prompt(self, job: _Job) -> str:
        if self.preset.prompt_style == "grounding":
            from ..backends.presets import GROUNDING_PROMPTS

            if job.query.kind != "text":
                raise ModelError(f"{self.preset.name} is a grounding model: it takes text queries, not {job.query.kind}")
            return GROUNDING_PROMPTS["point" if job.answer == "point" else "box"].format(q=job.query.rendered)
        return build_prompt(job.query, job.answer)

    def _run(self, jobs: list[_Job]):
        t0 = time.perf_counter()
        requests: list[GenerationRequest] = []
        live: list[_Job] = []
        for job in jobs:
            try:
                pil = load_image(job.image)
                job.pil = pil
                job.image_wh = pil.size
                job.prompt = self._prompt(job)
            except ImageError as exc:
                job.error = ToolError(kind="image", message=str(exc))
                continue
            except ModelError as exc:
                job.error = ToolError(kind="model", message=str(exc))
                continue
            if self.decoding.ground and job.query.kind == "text":
                job.chosen = self._ground(job)
                if job.chosen is not None or job.error is not None:
                    continue
            if self.decoding.read_text and job.answer in ("mask", "box") and job.query.kind == "text":
                job.reading = self._screen_reader().submit(pil)  # read while the model scores
        # a server answers several requests at once: its jobs' scoring goes out together (see _in_flight)
        choosing = [job for job in jobs if job.error is None and job.chosen is None and self.decoding.choose_only
                    and job.answer in ("mask", "box")]
        for job, chosen in zip(choosing, self._in_flight(self._choose, choosing)):
            job.chosen = chosen
        for job in jobs:
            if job.error is not None or job.chosen is not None:
                continue
            grammar = job.answer if self.decoding.constrained and self.preset.prompt_style == "simpleseg" else None
            pil = job.pil
            requests.append(GenerationRequest(pil, job.prompt, self.decoding.max_new_tokens, grammar=grammar))
            # each sample its own seed: a backend that answers one request at a time (a server, batch size
            # 1) would otherwise repeat one sample K times
            requests.extend(GenerationRequest(pil, job.prompt, self.decoding.max_new_tokens, temperature=self.decoding.temperature,
                                              seed=None if self.decoding.seed is None else self.decoding.seed + k, grammar=grammar)
                            for k in range(self.decoding.samples))
            live.append(job)
        answers: list[GenerationResult | None] = [None] * len(requests)
        if requests:
            try:
                answers = list(self.backend.generate(requests))
                if len(answers) != len(requests):
                    raise ModelError(f"the backend returned {len(answers)} answers for {len(requests)} requests")
            except SimpleSegError as exc:
                for job in live:
                    job.error = ToolError(kind="model", message=str(exc))
                answers = [None] * len(requests)
        per = self.decoding.samples + 1  # each live job's answers: the greedy one, then its samples
        by_job = {id(j): answers[k * per : (k + 1) * per] for k, j in enumerate(live)}
        results = [job.chosen if job.chosen is not None else self._pick(job, by_job.get(id(job), [None])) for job in jobs]
        if self.decoding.snap:
            results = self._in_flight(lambda jr: jr[1] if jr[0].chosen is not None else self._snap(*jr),
                                      list(zip(jobs, results)))
        t1 = time.perf_counter()
        # a batch's own time is shared evenly between its queries
        share = (t1 - t0) / max(len(jobs), 1)
        out = []
        for job, r in zip(jobs, results):
            model_s = r.latency.model_s
            latency = Latency(model_s=model_s, overhead_s=max(share - model_s, 0.0), total_s=share)
            out.append(r.model_copy(update={"latency": latency, "decoding": self._decoding_dict, "stage": _stage(job, r),
                                            "fallback": "; ".join(job.fallbacks) or None}))
        return out

    def _in_flight(self, fn, items: list) -> list:
        """``fn`` of each item in order; up to the backend's ``concurrency`` at once (a server's: its
        requests then overlap, and the server sets the throughput), one at a time for a local model."""
        workers = min(int(getattr(self.backend, "concurrency", 1) or 1), len(items))
        if workers <= 1:
            return [fn(item) for item in items]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="simpleseg-job") as pool:
            return list(pool.map(fn, items))

    def _pick(self, job: _Job, gens: list[GenerationResult | None]):
        """The greedy answer's result, or with samples the consensus of all answers (see ``samples``)."""
        results = [self._result(job, g) for g in gens]
        if self.decoding.samples == 0:
            return results[0]
        best, agreement = consensus(results, job.answer)
        model_s = sum(r.latency.model_s for r in results)  # every answer cost model time
        return results[best].model_copy(update={"samples": self.decoding.samples, "agreement": agreement,
                                                "latency": Latency(model_s=model_s)})

    def _ground(self, job: _Job):
        """The result grounding on the screen's words gives (``ground``), or ``None`` when the model must
        answer (the query names no words, or names an element that may show none); a query whose named words
        are not on the screen gets a ``not_found`` error on ``job``. Tied elements are scored by the model
        where it can score (stage ``shortlist``)."""
        from ..screen.grounding import ground

        t0 = time.perf_counter()
        try:
            perception = self.perceiver.perceive(job.pil)
        except SimpleSegError as exc:
            return self._fell_back(job, f"ground: reading the screen failed ({exc}); the model answered alone")
        g = ground(job.query.rendered, perception)
        job.grounding = g
        if not g.found:
            if g.needs_model:
                job.fallbacks.append(f"ground: {g.reason}; the model answered")
                return None
            read_by = perception.engine + (f" and {self.perceiver.second_engine.name}"
                                           if getattr(self.perceiver, "second_engine", None) is not None else "")
            job.error = ToolError(kind="not_found", message=f"{g.reason}; the screen was read by {read_by}")
            return None
        box, click, stage, spent = g.xyxy_px, g.click_xy_px, g.stage, 0.0
        if len(g.shortlist) > 1 and getattr(self.backend, "supports_scoring", False) and self.preset.prompt_style == "simpleseg":
            try:
                pick, spent = self._score_shortlist(job, [c.xyxy_px for c in g.shortlist])
            except SimpleSegError as exc:
                self._fell_back(job, f"ground: scoring the shortlist failed ({exc}); the first in reading order was kept")
            else:
                box, click, stage = g.shortlist[pick].xyxy_px, g.shortlist[pick].click_xy_px, "shortlist"
        return self._grounded(job, box, click, stage, g, spent, time.perf_counter() - t0)

    def _score_shortlist(self, job: _Job, boxes: list) -> tuple[int, float]:
        """Which of ``boxes`` (``xyxy_px``) the model finds likeliest as the answer, and the seconds it took."""
        from ..backends.base import ScoreRequest
        from ..screen.elements import SnapCandidate
        from .snapping import CHOICE_PHRASE, candidate_answer

        kind = "box" if job.answer == "box" else "mask"
        prompt = job.prompt if job.answer != "point" else build_prompt(job.query, "box")
        image, (ox, oy) = _shortlist_view(job.pil, boxes)
        texts = tuple(candidate_answer(CHOICE_PHRASE, SnapCandidate((b[0] - ox, b[1] - oy, b[2] - ox, b[3] - oy), 0.0),
                                       image.size, kind, self.preset.coord_space) for b in boxes)
        t0 = time.perf_counter()
        scores = list(self.backend.score(ScoreRequest(image, prompt, texts)))
        return int(np.argmax(scores)), time.perf_counter() - t0

    def _grounded(self, job: _Job, box, click, stage: str, g, model_s: float, total_s: float):
        """The result of ``job`` for a grounded element: its box (a rectangle outline for ``segment``), and the
        click on its words."""
        cls = _RESULT_TYPES[job.answer]
        w, h = job.image_wh
        x0, y0, x1, y1 = (float(v) for v in box)
        cx, cy = (float(click[0]), float(click[1]))
        common: dict[str, Any] = dict(query=job.query.rendered, prompt=job.prompt, image_wh=job.image_wh,
                                      model=self.preset.name, latency=Latency(model_s=model_s),
                                      words_matched=g.words, candidates=g.n_candidates)
        job.ground_stage = stage
        clearance = float(max(min(cx - x0, x1 - cx, cy - y0, y1 - cy), 0.0))
        point = ClickPoint(xy_px=(cx, cy), xy_norm=(cx / w, cy / h), clearance_px=clearance)
        if job.answer == "point":
            return cls(ok=True, xy_norm=(cx / w, cy / h), xy_px=(cx, cy), **common)
        if job.answer == "box":
            return cls(ok=True, **{**_box_fields((x0 / w, y0 / h, x1 / w, y1 / h), job.image_wh), "click": point}, **common)
        region = Region.from_polygons([[[x0 / w, y0 / h], [x1 / w, y0 / h], [x1 / w, y1 / h], [x0 / w, y1 / h]]])
        shape = self._segmentation(cls, region, job.image_wh, common)
        return shape.model_copy(update={"click": point})

    def _choose(self, job: _Job):
        """The result of choice decoding (``choose_only``), or ``None`` when the answer must be generated
        (no element, too many candidates, or scoring failed: the generated answer then snaps as before)."""
        from .snapping import choose_on_screen

        try:
            chosen = choose_on_screen(self.backend, job.pil, job.prompt, job.answer, self.preset.coord_space,
                                      bonus=self._bonus(job), text_grow=self.decoding.text_grow, shapes=self._shapes)
        except SimpleSegError as exc:
            return self._fell_back(job, f"choose_only: scoring the screen's elements failed ({exc}); the answer was generated")
        if chosen is None:
            job.fallbacks.append("choose_only: the screen shows no element; the answer was generated")
            return None
        cand, text, spent = chosen
        result = self._result(job, GenerationResult(text=text, n_tokens=0, model_s=spent))
        if not result.ok:
            return self._fell_back(job, f"choose_only: the chosen element's text did not read back "
                                        f"({result.error.message}); the answer was generated")
        return self._place(job, result, cand, "model", 0.0)

    @staticmethod
    def _fell_back(job: _Job, why: str) -> None:
        """Record on ``job`` (and warn) that a step failed and another ran instead."""
        job.fallbacks.append(why)
        warnings.warn(why, stacklevel=4)
        return None

    def _bonus(self, job: _Job):
        """The bonus of ``job``'s candidates: the screen's words (``read_text``) and the kinds their pixels show
        (``kinds``); ``None`` when neither applies."""
        from ..screen.kinds import kind_match, query_kinds

        by_kind = self.decoding.kinds and job.pil is not None and bool(query_kinds(job.query.rendered))
        if job.reading is None and not by_kind:
            return None
        from ..screen.words import text_match

        def bonus(cands):
            read = [0.0] * len(cands)
            if job.reading is not None:
                try:
                    words = job.reading.result()
                except Exception as exc:  # noqa: BLE001 -- the words only help: whatever broke, the model chooses alone
                    why = f"read_text: reading the screen failed ({exc}); the elements were chosen without its words"
                    if why not in job.fallbacks:
                        job.fallbacks.append(why)
                    warnings.warn(why, stacklevel=2)
                else:
                    read = text_match(job.query.rendered, cands, words)
            out = [self.decoding.read_weight * m for m in read]
            if by_kind:
                rgb = np.asarray(job.pil.convert("RGB"))
                # an icon is named by words a button may show: where the screen shows the query's words, they decide
                shown = kind_match(job.query.rendered, cands, rgb, glyphs=not any(m > 0 for m in read))
                out = [b + self.decoding.kind_weight * m for b, m in zip(out, shown)]
            return out

        return bonus

    def _snap(self, job: _Job, result):
        """``result`` snapped to a screen element near it (``snap=True``), or as it was."""
        from .snapping import snap_answer

        if not result.ok or job.answer not in ("mask", "box") or job.pil is None:
            return result
        if job.answer == "mask":
            region = result.region()
        else:
            x0, y0, x1, y1 = result.xyxy_norm
            region = Region.from_polygons([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])
        # a grounding model answers in its own JSON style, which the candidates are not written in
        scorer = self.backend if self.preset.prompt_style == "simpleseg" else None
        cand, how, spent = snap_answer(scorer, job.pil, job.prompt, result, job.answer, self.preset.coord_space, region,
                                       reach=self.decoding.reach, overlap_weight=self.decoding.overlap_weight,
                                       bonus=self._bonus(job), text_grow=self.decoding.text_grow, shapes=self._shapes,
                                       fallbacks=job.fallbacks)
        if cand is None:
            return result
        return self._place(job, result, cand, how, spent)

    def _place(self, job: _Job, result, cand, how: str, spent: float):
        """``result`` with the geometry of the screen element ``cand``, chosen ``how``, ``spent`` more
        seconds in the model."""
        snapped = cand.region(job.image_wh)
        if job.answer == "box":
            geometry = _box_fields(snapped.xyxy, job.image_wh)
        else:
            shape = self._segmentation(Segmentation, snapped, job.image_wh, {})
            geometry = {k: getattr(shape, k) for k in _SHAPE_FIELDS}
        lat = result.latency
        latency = Latency(model_s=lat.model_s + spent, overhead_s=lat.overhead_s, total_s=lat.total_s)
        return result.model_copy(update={**geometry, "snapped": how, "latency": latency,
                                         "read_words": self._read_words(job, cand)})

    @staticmethod
    def _read_words(job: _Job, cand) -> str | None:
        """The words read on ``cand`` when the screen's words helped choose it, else ``None``."""
        if job.reading is None or not job.reading.done() or job.reading.exception() is not None:
            return None
        from ..screen.words import words_in

        return words_in(cand.xyxy_px, job.reading.result())

    def _result(self, job: _Job, gen: GenerationResult | None):
        cls = _RESULT_TYPES[job.answer]
        common: dict[str, Any] = dict(query=job.query.rendered, prompt=job.prompt, image_wh=job.image_wh, model=self.preset.name)
        if gen is None:
            return cls(ok=False, error=job.error or ToolError(kind="model", message="no answer"), **common)
        common.update(
            raw_answer=gen.text,
            answer_tokens=gen.n_tokens,
            model_input_wh=gen.model_input_wh,
            latency=Latency(model_s=gen.model_s),
        )
        try:
            return self._interpret(cls, job, gen, common)
        except NotFoundError as exc:
            return cls(ok=False, error=ToolError(kind="not_found", message=str(exc)), **common)
        except ParseError as exc:
            return cls(ok=False, error=ToolError(kind="parse", message=str(exc)), **common)
        except GeometryError as exc:
            return cls(ok=False, error=ToolError(kind="geometry", message=str(exc)), **common)

    def _interpret(self, cls, job: _Job, gen: GenerationResult, common: dict):
        space = self.preset.coord_space
        grounding_mask = self.preset.prompt_style == "grounding" and job.answer == "mask"
        kind = "box" if grounding_mask else _PARSE_KIND[job.answer]
        if "[" not in gen.text:
            raise NotFoundError(f"the model answered without coordinates: {gen.text[:120]!r}")
        resolution = (gen.model_input_wh or job.image_wh) if space is CoordSpace.PIXELS else None
        parsed = parse_answer(gen.text, kind=kind, space=space, resolution_wh=resolution, out_of_range=self.decoding.out_of_range)
        common.update(truncated=parsed.truncated, clamped=parsed.clamped)
        w, h = job.image_wh
        scale = np.array([w, h], dtype=np.float64)
        if job.answer == "point":
            xy = parsed.xy_norm
            return cls(ok=True, xy_norm=_t(xy), xy_px=_t(xy * scale), **common)
        if job.answer == "box" or grounding_mask:
            box = np.asarray(parsed.xyxy_norm, dtype=np.float64)
            x1, x2 = sorted((box[0], box[2]))
            y1, y2 = sorted((box[1], box[3]))
            if x2 - x1 <= 0 or y2 - y1 <= 0:
                raise GeometryError(f"the answered box has no area: {box.round(4).tolist()}")
            if job.answer == "box":
                return cls(ok=True, **_box_fields((x1, y1, x2, y2), job.image_wh), **common)
            region = Region.from_polygons([[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]])
        else:
            region = Region.from_polygons(parsed.polygons_xy_norm)
        return self._segmentation(cls, region, job.image_wh, common)

    @staticmethod
    def _segmentation(cls, region: Region, image_wh: tuple[int, int], common: dict):
        if region.area <= 0:
            raise GeometryError("the answered polygons enclose no area")
        scale = np.array(image_wh, dtype=np.float64)
        xyxy = region.xyxy
        target = click_target(region, image_wh)
        return cls(
            ok=True,
            polygons_xy_norm=[[_t(p) for p in poly] for poly in region.polygons],
            polygons_xy_px=[[_t(p * scale) for p in poly] for poly in region.polygons],
            xyxy_norm=_t(xyxy),
            xyxy_px=_t(xyxy * np.tile(scale, 2)),
            area_norm=float(region.area),
            area_px=float(region.area * scale[0] * scale[1]),
            click=ClickPoint(xy_px=target.xy_px, xy_norm=target.xy_norm, clearance_px=target.clearance_px),
            **common,
        )


#: The shortlist is scored on a crop around it: its boxes' union grown by this share of its long side each way.
SHORTLIST_MARGIN = 0.5
#: ... and at least this many pixels each way (a dialog's context around its buttons).
SHORTLIST_MIN_MARGIN_PX = 96


def _shortlist_view(image, boxes) -> tuple[Any, tuple[int, int]]:
    """The part of ``image`` a shortlist is scored on, and its top-left corner: the union of the tied boxes
    grown by :data:`SHORTLIST_MARGIN` of its long side (at least :data:`SHORTLIST_MIN_MARGIN_PX`) each way, so
    the model sees the tied elements at more of its own pixels than the whole screen gives them."""
    b = np.asarray(boxes, dtype=float)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    m = max(SHORTLIST_MARGIN * max(x1 - x0, y1 - y0), SHORTLIST_MIN_MARGIN_PX)
    w, h = image.size
    left, top = int(max(0, x0 - m)), int(max(0, y0 - m))
    right, bottom = int(min(w, np.ceil(x1 + m))), int(min(h, np.ceil(y1 + m)))
    if (right - left) * (bottom - top) >= 0.8 * w * h:
        return image, (0, 0)
    return image.crop((left, top, right, bottom)), (left, top)


def _stage(job: _Job, result) -> str | None:
    """What decided ``result`` (see the results' ``stage``); ``None`` for a failed one."""
    if not result.ok:
        return None
    if job.ground_stage is not None:
        return job.ground_stage
    if job.chosen is not None:
        return "choice"
    if getattr(result, "snapped", None):
        return "snap"
    return "consensus" if result.samples else "answer"


#: The fields of a :class:`Segmentation` that come from its outline (what snapping replaces).
_SHAPE_FIELDS = ("polygons_xy_norm", "polygons_xy_px", "xyxy_norm", "xyxy_px", "area_norm", "area_px", "click")


def _box_fields(xyxy_norm, image_wh: tuple[int, int]) -> dict[str, Any]:
    """A :class:`BoxResult`'s geometry for a normalized box: the box in both conventions, its centre as the click."""
    x1, y1, x2, y2 = (float(v) for v in xyxy_norm)
    scale = np.array(image_wh, dtype=np.float64)
    box_px = np.array([x1, y1, x2, y2]) * np.tile(scale, 2)
    center = ((x1 + x2) / 2, (y1 + y2) / 2)
    click = ClickPoint(xy_px=_t(np.array(center) * scale), xy_norm=_t(center),
                       clearance_px=float(min(box_px[2] - box_px[0], box_px[3] - box_px[1]) / 2))
    return {"xyxy_norm": _t([x1, y1, x2, y2]), "xyxy_px": _t(box_px), "click": click}


def _t(values) -> tuple:
    return tuple(float(v) for v in np.asarray(values, dtype=np.float64).ravel())


def _similarities(results: Sequence, answer: AnswerKind) -> np.ndarray:
    """Pairwise agreement (0-1) of the successful results; 0 wherever one of the two failed."""
    ok = [i for i, r in enumerate(results) if r.ok]
    if answer == "mask":
        from ..geometry import region_to_mask

        w, h = results[ok[0]].image_wh if ok else (1, 1)
        scale = min(1.0, 1024 / max(w, h))  # outlines compared at up to 1024 px on the long side
        wh = (max(1, round(w * scale)), max(1, round(h * scale)))
        masks = {i: region_to_mask(results[i].region(), wh) for i in ok}

        def agree(a: int, b: int) -> float:
            union = np.logical_or(masks[a], masks[b]).sum()
            return float(np.logical_and(masks[a], masks[b]).sum() / union) if union else 0.0
    elif answer == "box":
        from ..geometry.metrics import box_iou

        def agree(a: int, b: int) -> float:
            return float(box_iou(results[a].xyxy_norm, results[b].xyxy_norm))
    else:
        def agree(a: int, b: int) -> float:
            w, h = results[a].image_wh
            d = float(np.hypot(*(np.asarray(results[a].xy_px) - np.asarray(results[b].xy_px))))
            return max(0.0, 1.0 - d / (0.05 * float(np.hypot(w, h))))

    sim = np.zeros((len(results), len(results)))
    for a, b in itertools.combinations(ok, 2):
        sim[a, b] = sim[b, a] = agree(a, b)
    return sim


def consensus(results: Sequence[Segmentation | BoxResult | PointResult], answer: AnswerKind) -> tuple[int, float]:
    """Which of several answers to one query agrees best with the others, and how much (0-1).

    Agreement of two answers: mask IoU of outlines, box IoU of boxes, and for points 1 at the same
    spot falling linearly to 0 at 5 % of the image diagonal. An answer's score is its mean agreement
    with all the other answers, failed ones counting as 0; the best score wins, the earliest answer on
    a tie. When every answer failed, the first one is returned with agreement 0.

    Example (a named fake backend's answers; real use: ``SimpleSeg(model, decoding=Decoding(samples=8))``):
        >>> from PIL import Image
        >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
        >>> sq = "[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]"
        >>> seg = SimpleSeg(FakeAnswerBackend(["[[[0.6, 0.6], [0.9, 0.6], [0.9, 0.9], [0.6, 0.9]]]", sq]))
        >>> rs = seg.run_batch([Image.new("RGB", (100, 100))] * 3, ["a"] * 3)
        >>> consensus(rs, "mask")
        (1, 0.5)
    """
    if not results:
        raise ValueError("consensus of no answers")
    ok = [i for i, r in enumerate(results) if r.ok]
    if not ok:
        return 0, 0.0
    if len(results) == 1:
        return 0, 1.0
    sim = _similarities(results, answer)
    scores = sim.sum(axis=1) / (len(results) - 1)
    best = max(ok, key=lambda i: (scores[i], -i))
    return best, round(float(scores[best]), 6)
