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

import itertools
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import numpy as np

from ..backends.base import Backend, GenerationRequest, GenerationResult, ModelPreset
from ..errors import GeometryError, ImageError, ModelError, NotFoundError, ParseError, SimpleSegError
from ..geometry import Region, click_target
from ..grammar import CoordSpace, parse_answer
from ..images import ImageInput, load_image
from ..prompts import Query, build_prompt
from .results import BoxResult, ClickPoint, Latency, PointResult, Segmentation, ToolError

AnswerKind = Literal["mask", "box", "point"]
QueryInput = Union[str, Query]
_RESULT_TYPES = {"mask": Segmentation, "box": BoxResult, "point": PointResult}
_PARSE_KIND = {"mask": "polygons", "box": "box", "point": "point"}
_WARNED_NO_TESSERACT = False


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
            URL of an OpenAI-compatible server (vLLM, SGLang, TGI, ``simpleseg serve``).
        preset: how to prompt the model and read its coordinates (default: from ``model``).
        out_of_range: ``"clamp"`` answers outside the image to its border, or ``"reject"`` them.
        max_new_tokens: answer budget per query (default: the preset's).
        samples: consensus decoding: besides the greedy answer, ask for this many sampled answers
            (at ``temperature``, seeded by ``seed``) and return the one that agrees best with the others
            (mean mask IoU for outlines, box IoU for boxes, closeness for points), with
            ``result.agreement`` (0-1) saying how much the answers agreed. ``0`` (default): greedy only.
            Costs ``samples + 1`` answers per query; see ``docs/default-model.md`` for the trade-off.
        temperature: the sampling temperature of those answers.
        seed: the samples' random seed (sample ``k`` gets ``seed + k``; ``None``: unseeded).
        constrained: constrained decoding: the model may only write a coordinate list of the asked kind
            (polygons, box, point) in its space, so every answer that ends by itself parses
            (:mod:`~simpleseg_agent.grammar.constrain`). Local transformers models, and servers with guided
            decoding (``simpleseg serve``, vLLM: the grammar goes as ``structured_outputs``): ``True`` with a
            backend that cannot constrain is a :class:`ModelError`; ``None`` (default): the preset's choice
            (``constrained``) where the backend can, else off.
        snap: snap outlines and boxes to the screen's elements, the model choosing among them
            (:mod:`~simpleseg_agent.tools.snapping`); ``None`` (default): the preset's choice (``snap``).
        choose_only: when snapping takes every element of the screen as a candidate and ignores the
            answer's overlap with them (a choice-trained model's preset: ``snap_reach`` >= 100,
            ``snap_overlap_weight`` 0), the model's own answer cannot change the choice, so it is not
            generated: the model only scores the candidates
            (:func:`~simpleseg_agent.tools.snapping.choose_on_screen`). The result's ``raw_answer`` is
            then the chosen candidate's text and ``answer_tokens`` is 0. A screen with more candidates than
            snapping scores (192) still gets an answer, to keep those nearest to it. ``None`` (default): on
            wherever it applies (with ``samples`` 0); ``True`` where it does not is a :class:`ModelError`.
        read_text: when snapping, read the screen's words (the Tesseract OCR program,
            :mod:`~simpleseg_agent.screen.words`) and add the preset's ``snap_read_weight`` nats (or
            :data:`~simpleseg_agent.screen.words.DEFAULT_READ_WEIGHT` where the preset has none) per unit of
            match between a candidate's words and a text query's to the model's score of it: the model
            chooses the kind of element, the words which one ("the Save button", not "Cancel"). The words
            are read while the model scores, and a screen asked about again is not read again. ``None``
            (default): on where the preset has a read weight, snapping is on and ``tesseract`` is
            installed (a warning says so once where it is not); ``True`` without snapping is a
            :class:`ModelError`, without ``tesseract`` a :class:`~simpleseg_agent.errors.MissingDependencyError`.
        text_extent: when snapping and the model chose a line of text (a wide shape of ink, not a
            bordered box), return its ink box, with the words beside it on its line, grown by the preset's
            ``snap_text_grow`` (or :data:`~simpleseg_agent.screen.elements.DEFAULT_TEXT_GROW` where the preset
            has none) of its height, whichever of its grown boxes the model chose: the model decides which
            element, the pixels how far a label's box extends
            (:func:`~simpleseg_agent.screen.elements.text_line_extent`). The click target stays on that line.
            ``None`` (default): on where the preset has a ``snap_text_grow`` and snapping is on; ``True``
            without snapping is a :class:`ModelError`.
        shape_extent: when snapping and the model chose another shape, settle its outline from the
            pixels (:func:`~simpleseg_agent.screen.elements.shape_extent`): a filled or bordered element
            (a button, a field, a checkbox) chosen as drawn gets its own box and rounded corners; an icon's
            glyph, whichever grown box was chosen, is grown by the preset's ``snap_icon_grow`` (or
            :data:`~simpleseg_agent.screen.elements.DEFAULT_ICON_GROW`) of its short side with corners rounded
            by its ``snap_icon_round``. ``None`` (default): on where the preset has a ``snap_icon_grow`` and
            snapping is on; ``True`` without snapping is a :class:`ModelError`.
        kinds: when snapping, add the preset's ``snap_kind_weight`` nats (or
            :data:`~simpleseg_agent.screen.kinds.DEFAULT_KIND_WEIGHT`) to each candidate whose pixels show the
            kind of element the query names (a switch, a checkbox, a window's maximize control, a
            dropdown, a field, a link, and toolbar icons by their glyphs where the screen shows none of the
            query's words; :mod:`~simpleseg_agent.screen.kinds`). ``None`` (default): on where the
            preset has a kind weight and snapping is on; ``True`` without snapping is a :class:`ModelError`.
        **backend_kwargs: passed to the backend (``device``, ``dtype``, ``adapter``, ``timeout_s``...; for a
            server URL ``concurrency``, the requests of a batch in flight at once, default 8, and ``guided``,
            ``"auto"``/``"on"``/``"off"``: :class:`~simpleseg_agent.backends.openai_http.OpenAIHTTPBackend`).
    """

    def __init__(
        self,
        model: str | Path | Backend,
        *,
        preset: str | ModelPreset | None = None,
        out_of_range: Literal["clamp", "reject"] = "clamp",
        max_new_tokens: int | None = None,
        samples: int = 0,
        temperature: float = 0.7,
        seed: int | None = 0,
        constrained: bool | None = None,
        snap: bool | None = None,
        choose_only: bool | None = None,
        read_text: bool | None = None,
        text_extent: bool | None = None,
        shape_extent: bool | None = None,
        kinds: bool | None = None,
        **backend_kwargs: Any,
    ) -> None:
        from ..backends.registry import load_backend

        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
            raise ModelError(f"samples must be an int >= 0, got {samples!r}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 < temperature < float("inf"):
            raise ModelError(f"temperature must be a finite number > 0, got {temperature!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ModelError(f"seed must be an int or None, got {seed!r}")
        if constrained is not None and not isinstance(constrained, bool):
            raise ModelError(f"constrained must be True, False or None, got {constrained!r}")
        if snap is not None and not isinstance(snap, bool):
            raise ModelError(f"snap must be True, False or None, got {snap!r}")
        if choose_only is not None and not isinstance(choose_only, bool):
            raise ModelError(f"choose_only must be True, False or None, got {choose_only!r}")
        if read_text is not None and not isinstance(read_text, bool):
            raise ModelError(f"read_text must be True, False or None, got {read_text!r}")
        if text_extent is not None and not isinstance(text_extent, bool):
            raise ModelError(f"text_extent must be True, False or None, got {text_extent!r}")
        if shape_extent is not None and not isinstance(shape_extent, bool):
            raise ModelError(f"shape_extent must be True, False or None, got {shape_extent!r}")
        if kinds is not None and not isinstance(kinds, bool):
            raise ModelError(f"kinds must be True, False or None, got {kinds!r}")
        self.backend = load_backend(model, preset=preset, **backend_kwargs)
        self.preset: ModelPreset = getattr(self.backend, "preset", None) or ModelPreset("custom", str(model))
        self.out_of_range = out_of_range
        self.max_new_tokens = max_new_tokens
        self.samples = samples
        self.temperature = float(temperature)
        self.seed = seed
        can = bool(getattr(self.backend, "supports_grammar", False))
        if constrained and not can:
            self.backend.close()
            raise ModelError(f"constrained decoding needs a model this process decodes (a local checkpoint) or a "
                             f"server with guided decoding (simpleseg serve, vLLM); {type(self.backend).__name__} "
                             f"cannot constrain its answers: use constrained=False")
        self.constrained = can and bool(self.preset.constrained if constrained is None else constrained)
        self.snap = bool(self.preset.snap if snap is None else snap)
        why_not = self._why_not_choose_only()
        if choose_only and why_not:
            self.backend.close()
            raise ModelError(f"choose_only: {why_not}")
        self.choose_only = not why_not and choose_only is not False
        try:
            self.read_text, self.read_weight = self._reading(read_text)
            self.text_grow = self._text_grow(text_extent)
            self.shapes = self._shapes(shape_extent)
            self.kind_weight = self._kind_weight(kinds)
        except SimpleSegError:
            self.backend.close()
            raise
        self._reader = None
        self._reader_lock = threading.Lock()  # one reader (one OCR thread and cache) however many threads call

    def _reading(self, read_text: bool | None) -> tuple[bool, float]:
        """Whether to read the screen's words when snapping, and their weight (see ``read_text``)."""
        from ..screen import words as reading

        weight = self.preset.snap_read_weight
        if read_text is False or (read_text is None and (weight <= 0 or not self.snap)):
            return False, 0.0
        if not self.snap:
            raise ModelError("read_text: the words pick among the screen's elements, so it needs snap=True")
        if reading.tesseract_path() is None:
            if read_text:
                from ..errors import MissingProgramError

                raise MissingProgramError(reading.TESSERACT, reading.INSTALL_TESSERACT, "read_text (reading the screen's words)")
            global _WARNED_NO_TESSERACT
            if not _WARNED_NO_TESSERACT:
                _WARNED_NO_TESSERACT = True
                warnings.warn(f"{self.preset.name} snaps better when it reads the screen's words: install the Tesseract "
                              f"OCR program ({reading.INSTALL_TESSERACT}) or pass read_text=False to silence this",
                              stacklevel=3)
            return False, 0.0
        return True, weight if weight > 0 else reading.DEFAULT_READ_WEIGHT

    def _text_grow(self, text_extent: bool | None) -> float | None:
        """How far a chosen line of text is grown when snapping (see ``text_extent``); ``None``: not settled."""
        from ..screen.elements import DEFAULT_TEXT_GROW

        grow = self.preset.snap_text_grow
        if text_extent is False or (text_extent is None and (grow is None or not self.snap)):
            return None
        if not self.snap:
            raise ModelError("text_extent: it settles the extent of a snapped line of text, so it needs snap=True")
        return float(DEFAULT_TEXT_GROW if grow is None else grow)

    def _shapes(self, shape_extent: bool | None) -> tuple[float, float] | None:
        """How a chosen shape's outline is settled when snapping (see ``shape_extent``): ``(icon_grow,
        icon_round)``, or ``None``: as chosen."""
        from ..screen.elements import DEFAULT_ICON_GROW, DEFAULT_ICON_ROUND

        p = self.preset
        if shape_extent is False or (shape_extent is None and (p.snap_icon_grow is None or not self.snap)):
            return None
        if not self.snap:
            raise ModelError("shape_extent: it settles the outline of a snapped element, so it needs snap=True")
        if p.snap_icon_grow is None:
            return DEFAULT_ICON_GROW, DEFAULT_ICON_ROUND
        return float(p.snap_icon_grow), float(p.snap_icon_round)

    def _kind_weight(self, kinds: bool | None) -> float:
        """Nats per candidate that shows the kind of element a query names (see ``kinds``); 0: off."""
        from ..screen.kinds import DEFAULT_KIND_WEIGHT

        weight = self.preset.snap_kind_weight
        if kinds is False or (kinds is None and (weight <= 0 or not self.snap)):
            return 0.0
        if not self.snap:
            raise ModelError("kinds: the kinds pick among the screen's elements, so it needs snap=True")
        return float(weight if weight > 0 else DEFAULT_KIND_WEIGHT)

    def _why_not_choose_only(self) -> str:
        """Why choice decoding (``choose_only``) does not apply here; empty when it does."""
        from .snapping import chooses_whole_screen

        p = self.preset
        if not self.snap:
            return "it chooses among the screen's elements, so it needs snap=True"
        if not chooses_whole_screen(p.snap_reach, p.snap_overlap_weight):
            return (f"{p.name} snaps near its answer (snap_reach {p.snap_reach}, snap_overlap_weight "
                    f"{p.snap_overlap_weight}), so the answer decides; a choice-trained model's preset has 100 and 0")
        if p.prompt_style != "simpleseg" or p.coord_space is CoordSpace.PIXELS:
            return f"{p.name}'s answers are not written in this project's 0-1 or 0-1000 coordinate lists"
        if not getattr(self.backend, "supports_scoring", False):
            return f"{type(self.backend).__name__} cannot score answers (a local checkpoint can)"
        if self.samples:
            return "consensus decoding (samples > 0) compares generated answers"
        return ""

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
            if self.read_text and job.answer in ("mask", "box") and job.query.kind == "text":
                job.reading = self._screen_reader().submit(pil)  # read while the model scores
        # a server answers several requests at once: its jobs' scoring goes out together (see _in_flight)
        choosing = [job for job in jobs if job.error is None and self.choose_only and job.answer in ("mask", "box")]
        for job, chosen in zip(choosing, self._in_flight(self._choose, choosing)):
            job.chosen = chosen
        for job in jobs:
            if job.error is not None or job.chosen is not None:
                continue
            grammar = job.answer if self.constrained and self.preset.prompt_style == "simpleseg" else None
            pil = job.pil
            requests.append(GenerationRequest(pil, job.prompt, self.max_new_tokens, grammar=grammar))
            # each sample its own seed: a backend that answers one request at a time (a server, batch size
            # 1) would otherwise repeat one sample K times
            requests.extend(GenerationRequest(pil, job.prompt, self.max_new_tokens, temperature=self.temperature,
                                              seed=None if self.seed is None else self.seed + k, grammar=grammar)
                            for k in range(self.samples))
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
        per = self.samples + 1  # each live job's answers: the greedy one, then its samples
        by_job = {id(j): answers[k * per : (k + 1) * per] for k, j in enumerate(live)}
        results = [job.chosen if job.chosen is not None else self._pick(job, by_job.get(id(job), [None])) for job in jobs]
        if self.snap:
            results = self._in_flight(lambda jr: jr[1] if jr[0].chosen is not None else self._snap(*jr),
                                      list(zip(jobs, results)))
        t1 = time.perf_counter()
        # a batch's own time is shared evenly between its queries
        share = (t1 - t0) / max(len(jobs), 1)
        out = []
        for r in results:
            model_s = r.latency.model_s
            out.append(r.model_copy(update={"latency": Latency(model_s=model_s, overhead_s=max(share - model_s, 0.0), total_s=share)}))
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
        if self.samples == 0:
            return results[0]
        best, agreement = consensus(results, job.answer)
        model_s = sum(r.latency.model_s for r in results)  # every answer cost model time
        return results[best].model_copy(update={"samples": self.samples, "agreement": agreement,
                                                "latency": Latency(model_s=model_s)})

    def _choose(self, job: _Job):
        """The result of choice decoding (``choose_only``), or ``None`` when the answer must be generated
        (no element, too many candidates, or scoring failed: the generated answer then snaps as before)."""
        from .snapping import choose_on_screen

        try:
            chosen = choose_on_screen(self.backend, job.pil, job.prompt, job.answer, self.preset.coord_space,
                                      bonus=self._bonus(job), text_grow=self.text_grow, shapes=self.shapes)
        except SimpleSegError:
            return None
        if chosen is None:
            return None
        cand, text, spent = chosen
        result = self._result(job, GenerationResult(text=text, n_tokens=0, model_s=spent))
        return self._place(job, result, cand, "model", 0.0) if result.ok else None

    def _bonus(self, job: _Job):
        """The bonus of ``job``'s candidates: the screen's words (``read_text``) and the kinds their pixels show
        (``kinds``); ``None`` when neither applies."""
        from ..screen.kinds import kind_match, query_kinds

        by_kind = self.kind_weight > 0 and job.pil is not None and bool(query_kinds(job.query.rendered))
        if job.reading is None and not by_kind:
            return None
        from ..screen.words import text_match

        def bonus(cands):
            read = [0.0] * len(cands)
            if job.reading is not None:
                try:
                    words = job.reading.result()
                except Exception as exc:  # noqa: BLE001 -- the words only help: whatever broke, the model chooses alone
                    warnings.warn(f"reading the screen failed, choosing without its words: {exc}", stacklevel=2)
                else:
                    read = text_match(job.query.rendered, cands, words)
            out = [self.read_weight * m for m in read]
            if by_kind:
                rgb = np.asarray(job.pil.convert("RGB"))
                # an icon is named by words a button may show: where the screen shows the query's words, they decide
                shown = kind_match(job.query.rendered, cands, rgb, glyphs=not any(m > 0 for m in read))
                out = [b + self.kind_weight * m for b, m in zip(out, shown)]
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
                                       reach=self.preset.snap_reach, overlap_weight=self.preset.snap_overlap_weight,
                                       bonus=self._bonus(job), text_grow=self.text_grow, shapes=self.shapes)
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
        parsed = parse_answer(gen.text, kind=kind, space=space, resolution_wh=resolution, out_of_range=self.out_of_range)
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

    Example (a named fake backend's answers; real use: ``SimpleSeg(model, samples=8)``):
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
