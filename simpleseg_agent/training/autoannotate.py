"""Auto-annotation: phrases -> boxes (open-vocabulary detector) -> masks (SAM) -> polygons -> records.

The reference pipeline labels images it has no masks for with an open-vocabulary detector
(GroundingDINO) that turns each phrase into boxes, SAM that turns each box into a mask, and border
following that turns each mask into polygons. :class:`GroundingSamAnnotator` does that with
transformers' ``AutoModelForZeroShotObjectDetection`` / ``AutoProcessor`` (GroundingDINO) and
``SamModel`` / ``SamProcessor`` loaded from local folders; anything with the
:class:`AutoAnnotator` ``annotate`` method can stand in for it. :func:`auto_annotate` runs an
annotator over images and yields records, counting what it could not label.

Phrases and detections: the phrases of one image are joined into GroundingDINO's prompt
(``"a cat. a red button."``, lower case, dots inside a phrase removed); each detection query is
given the phrase whose tokens it scores highest, and kept when its best token score exceeds
``box_threshold`` and the phrase's exceeds ``text_threshold``. Boxes of one phrase are de-duplicated
by non-maximum suppression (``nms_iou``). A phrase detected more than once names no single object:
:func:`auto_annotate` marks such records ``meta["ambiguous"]`` (or skips them), so the task builder
gives them point and box queries only.

Example (not run by doctest: it needs torch and two checkpoints)::

    from simpleseg_agent.training.autoannotate import GroundingSamAnnotator, auto_annotate
    from simpleseg_agent.training.records import write_records

    annotator = GroundingSamAnnotator("models/grounding-dino-tiny", "models/sam-vit-base", device="cuda")
    conv = auto_annotate(sorted(Path("photos").glob("*.jpg")), ["a cup", "a laptop"], annotator, relative_to="data")
    write_records(conv, "data/auto.jsonl")
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from .._optional import require
from ..errors import ImageError, ModelError
from ..geometry import Region
from ..images import ImageInput, load_image
from .converters._common import (
    Conversion,
    ConversionStats,
    DataError,
    GeometryOptions,
    clean_expressions,
    finalize_region,
    make_record,
    read_image_info,
)
from .records import Record


@dataclass(frozen=True)
class Detection:
    """A box for a phrase: ``xyxy_px`` in pixels of the image, ``score`` in [0, 1]."""

    phrase: str
    xyxy_px: tuple[float, float, float, float]
    score: float


@dataclass(frozen=True)
class Annotation:
    """One object found for a phrase: its region (normalized, canonical), detector score and box.

    Attributes:
        phrase: the phrase it was found for.
        region: the traced mask.
        score: the detector's score in [0, 1].
        xyxy_px: the detector's box in pixels.
        mask_score: the segmenter's own quality estimate (SAM's predicted IoU), if any.
    """

    phrase: str
    region: Region
    score: float
    xyxy_px: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    mask_score: float | None = None


@runtime_checkable
class AutoAnnotator(Protocol):
    """Anything that finds the objects a list of phrases names in an image."""

    def annotate(self, image: ImageInput, phrases: Sequence[str]) -> list[Annotation]:
        """Every object found, one :class:`Annotation` each (none for a phrase that was not found)."""
        ...


def box_nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best score first.

    Example:
        >>> box_nms(np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], float), np.array([0.9, 0.8, 0.5]), 0.5)
        [0, 2]
    """
    order = list(np.argsort(-np.asarray(scores), kind="stable"))
    keep: list[int] = []
    b = np.asarray(boxes_xyxy, dtype=np.float64)
    areas = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    while order:
        i = order.pop(0)
        keep.append(int(i))
        if not order:
            break
        rest = np.array(order)
        x1 = np.maximum(b[i, 0], b[rest, 0])
        y1 = np.maximum(b[i, 1], b[rest, 1])
        x2 = np.minimum(b[i, 2], b[rest, 2])
        y2 = np.minimum(b[i, 3], b[rest, 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        union = areas[i] + areas[rest] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
        order = [int(j) for j, v in zip(rest, iou) if v <= iou_threshold]
    return keep


def _detector_phrase(phrase: str) -> str:
    """A phrase as GroundingDINO reads it: lower case, no dots (dots separate phrases)."""
    return " ".join(phrase.replace(".", " ").lower().split())


class GroundingSamAnnotator:
    """GroundingDINO boxes, SAM masks, border-following polygons (the reference auto-annotation pipeline).

    Args:
        detector_dir: local folder of a GroundingDINO checkpoint (model + processor).
        sam_dir: local folder of a SAM checkpoint (model + processor).
        box_threshold: keep a detection whose best token score exceeds this (reference: 0.35).
        text_threshold: ... and whose phrase's best token score exceeds this (reference: 0.25).
        nms_iou: suppress a box of the same phrase overlapping a better one by more than this IoU.
        max_per_phrase: keep at most this many boxes per phrase (best first); all when ``None``.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, or ``"auto"`` (CUDA when available).
        geometry: how masks become polygons (:class:`GeometryOptions`; ``min_area_px`` drops specks).
        sam_batch: boxes per SAM forward pass.

    Raises:
        ModelError: a folder does not hold a loadable checkpoint.
    """

    def __init__(
        self,
        detector_dir: str | Path,
        sam_dir: str | Path,
        *,
        box_threshold: float = 0.35,
        text_threshold: float = 0.25,
        nms_iou: float = 0.5,
        max_per_phrase: int | None = None,
        device: str = "cpu",
        geometry: GeometryOptions | None = None,
        sam_batch: int = 16,
    ) -> None:
        for name, v in (("box_threshold", box_threshold), ("text_threshold", text_threshold), ("nms_iou", nms_iou)):
            if not 0.0 <= float(v) <= 1.0:
                raise DataError(f"{name} must be in [0, 1], got {v!r}")
        if max_per_phrase is not None and max_per_phrase < 1:
            raise DataError(f"max_per_phrase must be >= 1 or None, got {max_per_phrase!r}")
        self.torch = require("torch", extra="model", feature="auto-annotation")
        transformers = require("transformers", extra="model", feature="auto-annotation")
        self.box_threshold, self.text_threshold, self.nms_iou = float(box_threshold), float(text_threshold), float(nms_iou)
        self.max_per_phrase = max_per_phrase
        self.geometry = geometry or GeometryOptions(min_area_px=16.0)
        self.sam_batch = max(1, int(sam_batch))
        if device == "auto":
            device = "cuda" if self.torch.cuda.is_available() else "cpu"
        self.device = device
        try:
            self.det_processor = transformers.AutoProcessor.from_pretrained(str(detector_dir), local_files_only=True)
            self.detector = transformers.AutoModelForZeroShotObjectDetection.from_pretrained(
                str(detector_dir), local_files_only=True
            ).to(device).eval()
            self.sam_processor = transformers.SamProcessor.from_pretrained(str(sam_dir), local_files_only=True)
            self.sam = transformers.SamModel.from_pretrained(str(sam_dir), local_files_only=True).to(device).eval()
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot load the auto-annotation models from {detector_dir} and {sam_dir}: {exc}") from exc
        self.max_text_len = int(getattr(self.detector.config, "max_text_len", 256))

    # --- detection -------------------------------------------------------------------------------
    def _chunks(self, phrases: list[str]) -> list[list[str]]:
        """Phrases grouped so that each group's prompt fits the detector's text length."""
        tok = self.det_processor.tokenizer
        groups: list[list[str]] = [[]]
        for p in phrases:
            trial = groups[-1] + [p]
            if groups[-1] and len(tok(". ".join(trial) + ".")["input_ids"]) > self.max_text_len:
                groups.append([p])
            else:
                groups[-1] = trial
        return [g for g in groups if g]

    def detect(self, image: ImageInput, phrases: Sequence[str]) -> list[Detection]:
        """Boxes for each phrase (after thresholds and per-phrase NMS), best first within a phrase."""
        img = load_image(image)
        wanted = [p for p in dict.fromkeys(_detector_phrase(p) for p in phrases) if p]
        originals = {}
        for p in phrases:
            originals.setdefault(_detector_phrase(p), p)
        out: list[Detection] = []
        for group in self._chunks(wanted):
            out.extend(self._detect_group(img, group, originals))
        return out

    def _detect_group(self, img, group: list[str], originals: dict[str, str]) -> list[Detection]:
        torch = self.torch
        text = ". ".join(group) + "."
        inputs = self.det_processor(images=img, text=text, return_tensors="pt").to(self.device)
        enc = self.det_processor.tokenizer(text, return_offsets_mapping=True)
        spans, start = [], 0
        for p in group:
            spans.append((start, start + len(p)))
            start += len(p) + 2  # ". "
        token_phrase = np.full(len(enc["input_ids"]), -1)
        for t, (a, b) in enumerate(enc["offset_mapping"]):
            if b > a:
                for j, (s, e) in enumerate(spans):
                    if a >= s and b <= e:
                        token_phrase[t] = j
        with torch.inference_mode():
            outputs = self.detector(**inputs)
        probs = torch.sigmoid(outputs.logits[0].float()).cpu().numpy()  # (queries, max_text_len)
        n_tok = min(probs.shape[1], len(token_phrase))
        probs, token_phrase = probs[:, :n_tok], token_phrase[:n_tok]
        boxes = outputs.pred_boxes[0].float().cpu().numpy()  # (queries, 4) cx, cy, w, h normalized
        w, h = img.size
        xyxy = np.stack([boxes[:, 0] - boxes[:, 2] / 2, boxes[:, 1] - boxes[:, 3] / 2,
                         boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2], axis=1)
        xyxy = np.clip(xyxy, 0.0, 1.0) * np.array([w, h, w, h])
        phrase_scores = np.stack(
            [probs[:, token_phrase == j].max(axis=1) if (token_phrase == j).any() else np.zeros(len(probs))
             for j in range(len(group))], axis=1,
        )  # (queries, phrases)
        best = phrase_scores.argmax(axis=1)
        overall = probs[:, token_phrase >= 0].max(axis=1) if (token_phrase >= 0).any() else np.zeros(len(probs))
        detections: list[Detection] = []
        for j, phrase in enumerate(group):
            idx = [q for q in range(len(probs)) if best[q] == j and overall[q] > self.box_threshold
                   and phrase_scores[q, j] > self.text_threshold
                   and xyxy[q, 2] > xyxy[q, 0] and xyxy[q, 3] > xyxy[q, 1]]
            if not idx:
                continue
            kept = box_nms(xyxy[idx], phrase_scores[idx, j], self.nms_iou)
            if self.max_per_phrase is not None:
                kept = kept[: self.max_per_phrase]
            for k in kept:
                q = idx[k]
                detections.append(Detection(originals.get(phrase, phrase), tuple(float(v) for v in xyxy[q]),
                                            float(phrase_scores[q, j])))
        return detections

    # --- segmentation ----------------------------------------------------------------------------
    def segment(self, image: ImageInput, boxes_xyxy_px: Sequence[Sequence[float]]) -> list[tuple[np.ndarray, float]]:
        """One ``(H, W)`` bool mask and SAM's predicted IoU per box (pixels of the image)."""
        torch = self.torch
        img = load_image(image)
        out: list[tuple[np.ndarray, float]] = []
        boxes = [[float(v) for v in b] for b in boxes_xyxy_px]
        for i in range(0, len(boxes), self.sam_batch):
            chunk = boxes[i : i + self.sam_batch]
            inputs = self.sam_processor(images=img, input_boxes=[chunk], return_tensors="pt").to(self.device)
            with torch.inference_mode():
                outputs = self.sam(**inputs, multimask_output=False)
            masks = self.sam_processor.image_processor.post_process_masks(
                outputs.pred_masks.float().cpu(), inputs["original_sizes"].cpu(), inputs["reshaped_input_sizes"].cpu()
            )[0]  # (boxes, 1, H, W) bool
            scores = outputs.iou_scores[0, :, 0].float().cpu().numpy()
            for k in range(len(chunk)):
                out.append((masks[k, 0].numpy().astype(bool), float(scores[k])))
        return out

    def annotate(self, image: ImageInput, phrases: Sequence[str]) -> list[Annotation]:
        """Detect, segment, trace: one :class:`Annotation` per detection whose mask is not empty."""
        img = load_image(image)
        detections = self.detect(img, phrases)
        if not detections:
            return []
        masks = self.segment(img, [d.xyxy_px for d in detections])
        stats = ConversionStats("auto")
        out = []
        for d, (mask, mask_score) in zip(detections, masks):
            region = finalize_region(self.geometry.trace(mask), img.size, self.geometry, stats, d.phrase, from_polygons=False)
            if region is not None:
                out.append(Annotation(d.phrase, region, d.score, d.xyxy_px, mask_score))
        return out


def auto_annotate(
    images: Iterable[str | Path],
    phrases: Sequence[str] | Callable[[Path], Sequence[str]],
    annotator: AutoAnnotator,
    *,
    min_score: float = 0.0,
    ambiguous: Literal["mark", "skip"] = "mark",
    source: str = "auto",
    relative_to: str | Path | None = None,
) -> Conversion:
    """Run ``annotator`` over image files and yield one record per object found.

    Args:
        images: image files.
        phrases: the phrases to look for, the same for every image or ``phrases(path)`` per image.
        annotator: e.g. :class:`GroundingSamAnnotator`, or any :class:`AutoAnnotator`.
        min_score: skip annotations whose detector score is lower (``low_score``).
        ambiguous: a phrase found more than once in an image: ``"mark"`` the records
            ``meta["ambiguous"]`` (point and box queries only), or ``"skip"`` them.
        source, relative_to: as in the converters.

    Stats count per image and phrase: ``no_detection``; per annotation: ``low_score``,
    ``ambiguous`` (when skipped), ``empty_mask``; per image: ``missing_image``, ``unreadable_image``.

    Example:
        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> class Fake:
        ...     def annotate(self, image, phrases):
        ...         r = Region.from_polygons([[[0.1, 0.1], [0.4, 0.1], [0.4, 0.5]]])
        ...         return [Annotation(p, r, 0.9) for p in phrases if p == "a cup"]
        >>> d = Path(tempfile.mkdtemp()); Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(d / "k.png")
        >>> conv = auto_annotate([d / "k.png"], ["a cup", "a fork"], Fake())
        >>> [r.expressions for r in conv], dict(conv.stats.skipped)
        ([['a cup']], {'no_detection': 1})
    """
    if ambiguous not in ("mark", "skip"):
        raise DataError(f"ambiguous must be 'mark' or 'skip', got {ambiguous!r}")
    if not hasattr(annotator, "annotate"):
        raise DataError(f"annotator must have an annotate(image, phrases) method, got {type(annotator).__name__}")
    paths = [Path(p) for p in images]

    def produce(stats: ConversionStats) -> Iterator[Record]:
        for path in paths:
            wanted = clean_expressions(phrases(path) if callable(phrases) else phrases)
            info = read_image_info(path)
            if isinstance(info, str):
                stats.seen += max(1, len(wanted))
                stats.skip(info, str(path))
                continue
            try:
                found = annotator.annotate(path, wanted)
            except ImageError as exc:
                stats.seen += max(1, len(wanted))
                stats.skip("unreadable_image", f"{path}: {exc}")
                continue
            per_phrase = Counter(a.phrase for a in found)
            for p in wanted:
                if not per_phrase[p]:
                    stats.seen += 1
                    stats.skip("no_detection", f"{path.name}: {p!r}")
            for k, a in enumerate(found):
                stats.seen += 1
                what = f"{path.name}: {a.phrase!r} #{k}"
                if a.region.is_empty:
                    stats.skip("empty_mask", what)
                    continue
                if a.score < min_score:
                    stats.skip("low_score", f"{what}: score {a.score:.3f} < {min_score}")
                    continue
                n_same = per_phrase[a.phrase]
                if n_same > 1:
                    if ambiguous == "skip":
                        stats.skip("ambiguous", f"{what}: found {n_same} times")
                        continue
                    stats.note("ambiguous", f"{what}: found {n_same} times")
                expressions = clean_expressions([a.phrase])
                if not expressions:
                    stats.skip("no_expression", what)
                    continue
                yield make_record(
                    info, expressions, a.region.canonical(), label=a.phrase, source=source,
                    record_id=f"{source}:{path.stem}#{k}",
                    meta={"score": round(float(a.score), 4), "mask_score": None if a.mask_score is None else round(float(a.mask_score), 4),
                          "xyxy_px": [round(float(v), 2) for v in a.xyxy_px], "ambiguous": n_same > 1},
                    relative_to=relative_to,
                )

    return Conversion(produce, source, total=len(paths))


__all__ = ["Annotation", "AutoAnnotator", "Detection", "GroundingSamAnnotator", "auto_annotate", "box_nms"]
