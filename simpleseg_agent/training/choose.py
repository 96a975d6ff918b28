"""Choice training: teach the model the decision snapping asks of it.

Snapping (:mod:`simpleseg_agent.tools.snapping`) shows the model the element boxes near its answer,
each written as its own answer would be, and keeps the one it finds most likely. SFT and GSPO never
trained that decision: they train the text of one outline. A *choice* step does: for a referring
expression on a screen, the boxes of the shapes the screen shows (the same proposals snapping makes:
:func:`~simpleseg_agent.screen.elements.snap_candidates` around the target, as drawn and grown) are
scored by the model's log-likelihood, and the loss is the cross-entropy of picking the one that fits
the target best (listwise, over ``n_candidates`` boxes), plus ``sft_weight`` times the per-token loss
of that box's text (the answer the model should write).

The screen and question go through the model once per example; the candidates run as one batch on
its key/value cache, as :meth:`~simpleseg_agent.backends.transformers_backend.TransformersBackend.score`
does, with gradients (:func:`candidate_log_likelihoods`).

Example (the examples of a generated screen; no model needed):
    >>> import tempfile
    >>> from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig
    >>> d = tempfile.mkdtemp()
    >>> _ = GuiScreenGenerator(GuiSynthConfig(difficulty="easy")).generate(1, d, seed=3)
    >>> rows = choice_examples(f"{d}/records.jsonl", seed=0, n_candidates=8)
    >>> len(rows) > 0, len(rows[0]["texts"]), 0 <= rows[0]["positive"] < 8
    (True, 8, True)
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..geometry import Region
from ..geometry.metrics import box_iou
from ..screen.elements import SnapCandidate, element_boxes, snap_candidates
from ..grammar import CoordSpace
from ..prompts import Query, build_prompt, training_answer

#: A candidate counts as the target when its mask IoU with the target is at least this; those between
#: this and the best one's are neither right nor wrong and are left out of the choice.
POSITIVE_IOU = 0.5
#: An *extent* negative (``extent_negatives``) overlaps the target (IoU >= :data:`POSITIVE_IOU`) but fits it
#: at least this much worse (IoU) than the right box: the same element outlined too tightly or too loosely,
#: or a box nested in it. Closer ones stay out of the choice.
EXTENT_MARGIN = 0.05
#: How far around the target (times its long side) the wrong candidates are drawn from, one per example:
#: snapping looks within half the answer's size; a wrong answer puts the right box further out.
REACHES = (0.5, 1.0, 2.0)


def _choice_for(region: Region, boxes: np.ndarray, wh: tuple[int, int], rng: random.Random,
                n_candidates: int, others: Sequence[Region] = (), hard_negatives: int = 0,
                extent_negatives: int = 0) -> tuple[list[SnapCandidate], int] | None:
    """``n_candidates`` boxes around ``region`` with the index of the best-fitting one, or ``None`` when no
    box fits the target (IoU under :data:`POSITIVE_IOU`) or fewer than two wrong ones exist.

    Up to ``hard_negatives`` of the wrong boxes are the boxes that fit ``others`` best (the screen's other
    labelled elements, which reading confuses with the target); up to ``extent_negatives`` are boxes that
    overlap the target but fit it worse (:data:`EXTENT_MARGIN`), the best-fitting first; the rest are drawn
    near the target."""
    near = snap_candidates(region, boxes=boxes, resolution_wh=wh, reach=rng.choice(REACHES), max_candidates=10_000)
    if not near:
        return None
    best = max(near, key=lambda c: c.overlap)
    if best.overlap < POSITIVE_IOU:
        return None
    everywhere: list[SnapCandidate] | None = None

    def _everywhere() -> list[SnapCandidate]:
        nonlocal everywhere
        if everywhere is None:
            everywhere = snap_candidates(region, boxes=boxes, resolution_wh=wh, reach=100.0, max_candidates=10_000)
        return everywhere

    hard: list[SnapCandidate] = []
    if hard_negatives and others:
        pool = [c for c in _everywhere() if c.overlap < POSITIVE_IOU]
        if pool:
            xyxy = np.array([c.xyxy_px for c in pool], dtype=np.float64)
            scale = np.array([wh[0], wh[1], wh[0], wh[1]], dtype=np.float64)
            for other in rng.sample(list(others), len(others)):
                fit = box_iou(xyxy, np.asarray(other.xyxy, dtype=np.float64) * scale)
                k = int(np.argmax(fit))
                if fit[k] >= POSITIVE_IOU and pool[k] not in hard:
                    hard.append(pool[k])
                if len(hard) >= min(hard_negatives, n_candidates - 1):
                    break
    taken = {c.xyxy_px for c in hard}
    wrong = [c for c in near if c.overlap < POSITIVE_IOU and c.xyxy_px not in taken]
    extent: list[SnapCandidate] = []
    if extent_negatives:  # the target's own element outlined worse: teaches how far it extends
        close = [c for c in near if POSITIVE_IOU <= c.overlap <= best.overlap - EXTENT_MARGIN]
        room = max(0, n_candidates - 2 - len(hard))  # one wrong box drawn near the target stays
        extent = sorted(close, key=lambda c: -c.overlap)[: min(extent_negatives, room)]
    need = n_candidates - 1 - len(hard) - len(extent)
    if len(wrong) < need:  # a sparse neighbourhood: fill from the whole screen
        seen = taken | {c.xyxy_px for c in wrong}
        extra = [c for c in _everywhere() if c.overlap < POSITIVE_IOU and c.xyxy_px not in seen]
        wrong += rng.sample(extra, min(len(extra), need - len(wrong)))
    if len(hard) + len(extent) + len(wrong) < 2:
        return None
    picked = hard + extent + rng.sample(wrong, min(len(wrong), need)) + [best]
    rng.shuffle(picked)
    return picked, picked.index(best)


def choice_examples(records: str | Path | Iterable[Any], *, seed: int = 0, n_candidates: int = 16,
                    space: CoordSpace = CoordSpace.THOUSAND, records_file: str | Path | None = None,
                    progress: bool = False, hard_negatives: int = 0,
                    extent_negatives: int = 0) -> list[dict[str, Any]]:
    """The choice examples of ``records`` (a records file, or records with ``records_file``): one per
    record, its question (one of its expressions, a mask prompt), the candidate answers' texts (boxes
    as four-point outlines in ``space``'s style, in one answer phrase) and ``positive``, the index of the right one. Records where no
    box fits the target are left out. The same records and seed give the same examples.

    ``hard_negatives``: up to this many of each example's wrong boxes are those that fit the *other* records of
    the same image best (other buttons, fields, labels: the elements reading confuses with the target), the
    rest drawn near the target (0: none: every wrong box is drawn near the target).

    ``extent_negatives``: up to this many of the wrong boxes overlap the target (IoU >= :data:`POSITIVE_IOU`) but fit
    it at least :data:`EXTENT_MARGIN` worse: the target outlined too tightly or too loosely (a word's box
    against the button around it, a label grown too far). Without them the model never learns how far an
    element extends, only which one it is (0: none).

    Example: see the module docstring.
    """
    from ..tools.snapping import candidate_answer
    from .records import read_records, resolve_image

    if space is CoordSpace.PIXELS:
        raise ValueError("choice training writes boxes in the 0-1 or 0-1000 space, not in pixels")
    if n_candidates < 2:
        raise ValueError(f"n_candidates must be >= 2, got {n_candidates}")
    if hard_negatives < 0:
        raise ValueError(f"hard_negatives must be >= 0, got {hard_negatives}")
    if extent_negatives < 0:
        raise ValueError(f"extent_negatives must be >= 0, got {extent_negatives}")
    source = records_file if records_file is not None else records
    recs = list(read_records(records)) if isinstance(records, (str, Path)) else list(records)
    regions_of: dict[str, list[tuple[str, Region]]] = {}
    if hard_negatives:
        for record in recs:
            regions_of.setdefault(record.image_path, []).append((record.record_id, record.region))
    boxes_of: dict[str, np.ndarray] = {}
    out: list[dict[str, Any]] = []
    bar = None
    if progress:
        import sys

        from tqdm.auto import tqdm

        # a log file (not a terminal) gets a line every 30 s, not one per redraw
        bar = tqdm(total=len(recs), desc="choice examples", unit="record", mininterval=0.1 if sys.stderr.isatty() else 30)
    for index, record in enumerate(recs):
        if bar is not None:
            bar.update(1)
        path = str(resolve_image(record, source))
        if path not in boxes_of:
            from PIL import Image

            with Image.open(path) as im:
                boxes_of = {path: element_boxes(np.asarray(im.convert("RGB")))}  # records come screen by screen
        rng = random.Random(f"{seed}:{index}")
        others = [r for rid, r in regions_of.get(record.image_path, ()) if rid != record.record_id]
        picked = _choice_for(record.region, boxes_of[path], record.image_wh, rng, n_candidates, others, hard_negatives,
                             extent_negatives)
        if picked is None:
            continue
        cands, positive = picked
        prompt = build_prompt(Query.text(rng.choice(record.expressions)), "mask", rng=rng)
        phrase = training_answer("[[[0,0]]]", rng)
        texts = [candidate_answer(phrase, c, record.image_wh, "mask", space) for c in cands]
        out.append({"image": path, "prompt": prompt, "texts": texts, "positive": positive,
                    "record_id": record.record_id})
    if bar is not None:
        bar.close()
    return out


def candidate_log_likelihoods(model: Any, prefix: dict[str, Any], tokens: Any, mask: Any) -> Any:
    """Each candidate's summed log-likelihood as the answer after ``prefix``, differentiable.

    ``prefix``: the processor's output for one image and chat text (batch of one); ``tokens`` /
    ``mask``: ``(K, L)`` candidate token ids, right-padded, and their mask. The prefix runs once; the
    candidates run as a batch on its key/value cache, at the positions the prefix's M-RoPE offsets
    (``rope_deltas``) give. Equal to a plain forward pass over each prefix + candidate
    (``tests/training/test_choose.py``).
    """
    from ..backends.transformers_backend import continuation_log_likelihoods

    inner = getattr(model, "model", None)
    try:
        out = model(**prefix, use_cache=True)
        cache = out.cache if "cache" in out else out.past_key_values
        deltas = getattr(inner, "rope_deltas", None)
        if cache is None or deltas is None:
            raise ValueError(f"{type(model).__name__}: choice training needs an M-RoPE model with a key/value "
                             "cache (the Qwen2-VL family)")
        return continuation_log_likelihoods(model, cache, out.logits[0, -1], int(prefix["input_ids"].shape[1]),
                                            deltas.reshape(-1)[0], tokens, mask)
    finally:
        if inner is not None and hasattr(inner, "rope_deltas"):
            inner.rope_deltas = None


class ChoiceCollator:
    """Turns choice examples into model inputs: per example the prefix (image + chat text), the
    candidates' token ids (right-padded) and mask, and the right one's index."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor
        self.pad_id = processor.tokenizer.pad_token_id or 0

    def chat_text(self, prompt: str) -> str:
        from ..backends.transformers_backend import chat_text

        return chat_text(self.processor, prompt)

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        from PIL import Image

        from ..backends.transformers_backend import right_padded

        rows = []
        tok = self.processor.tokenizer
        for ex in examples:
            with Image.open(ex["image"]) as im:
                image = im.convert("RGB")
            prefix = dict(self.processor(text=[self.chat_text(ex["prompt"])], images=[image], return_tensors="pt"))
            tokens, mask = right_padded([tok(t, add_special_tokens=False)["input_ids"] for t in ex["texts"]], self.pad_id)
            rows.append({"prefix": prefix, "tokens": tokens, "mask": mask, "positive": int(ex["positive"])})
        return {"rows": rows}


def choice_loss(model: Any, rows: list[dict[str, Any]], sft_weight: float) -> tuple[Any, float]:
    """The mean over ``rows`` (a :class:`ChoiceCollator` batch) of the listwise cross-entropy of the right
    candidate plus ``sft_weight`` times its per-token negative log-likelihood; and the fraction of rows
    where the right candidate already scored highest."""
    import torch

    total, hits = 0.0, 0
    for row in rows:
        scores = candidate_log_likelihoods(model, row["prefix"], row["tokens"], row["mask"])
        pos = row["positive"]
        loss = -torch.log_softmax(scores, dim=0)[pos]
        if sft_weight:
            loss = loss - sft_weight * scores[pos] / row["mask"][pos].sum()
        total = total + loss
        hits += int(int(torch.argmax(scores.detach())) == pos)
    return total / len(rows), hits / len(rows)
