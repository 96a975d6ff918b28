"""Evaluation: RES cIoU / gIoU, REC Acc@0.5, GUI click accuracy, format errors, answer length.

Runs a model (anything :class:`~simpleseg_agent.tools.SimpleSeg` accepts) over records
(``records.jsonl``: one text->mask query per record, with its first referring expression),
batched, with a progress bar, and writes a JSON report and a PNG chart per split.

Definitions (as in the reference method): cIoU = sum(intersection) / sum(union) over the split;
gIoU = mean per-sample IoU; REC Acc@0.5 = the box of the predicted polygons has IoU >= 0.5 with
the ground-truth box; click accuracy = the planned click point (the deepest point of the predicted
region) lies inside the ground-truth region; a format error is an answer with no usable polygons
(unparseable, truncated before any polygon, or nothing found). Failed answers count as IoU 0.

Where each click landed (``click_on``), among the evaluated records of the same image: ``target``
(a click hit), ``same-kind`` (inside another element with the target's label: another button when a
button was asked for, the typical reading error), ``other`` (inside another element), ``nothing``
(on no annotated element), or ``""`` (no click: the answer failed). The report counts them, so a
low click accuracy says whether the model confuses elements or misses them all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..geometry import HitRate, IoUAccumulator, Region, box_iou, point_in_region, region_overlap_batch
from .records import Record, read_records, resolve_image


@dataclass
class SampleResult:
    """One evaluated query."""

    record_id: str
    expression: str
    iou: float
    inter_px: float
    union_px: float
    rec_hit: bool
    click_hit: bool
    format_error: bool
    answer_tokens: int
    error: str = ""
    agreement: float | None = None  # consensus decoding: how much the answers agreed
    click_on: str = ""  # target / same-kind / other / nothing; "" when there was no click
    label: str = ""  # the record's element type or category
    source: str = ""  # the record's source (app, site, generator)
    latency_s: float = 0.0  # seconds to answer (a batch's time shared among its queries)
    box_iou: float = 0.0  # IoU of the answer's box with the ground truth's box


@dataclass
class EvalReport:
    """Metrics of one split (fractions in [0, 1]; ``n`` queries)."""

    split: str
    model: str
    n: int
    ciou: float
    giou: float
    rec_acc50: float
    click_acc: float
    format_error_rate: float
    mean_answer_tokens: float
    samples: list[SampleResult] = field(default_factory=list)
    decoding: str = "greedy"
    click_on: dict[str, int] = field(default_factory=dict)  # where the clicks landed (see the module docstring)
    # n / click_acc / box_iou / latency_s of the model by source and by element type, and of each baseline
    # (ocr, unsnapped: see training/baselines.py) computed in the same run, with the same breakdowns
    breakdown: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, Any] = field(default_factory=dict)

    def to_json(self, *, with_samples: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_samples:
            data.pop("samples")
        return data

    def table(self) -> str:
        """A one-line summary (and a second line saying where the clicks landed, when known)."""
        line = (
            f"{self.split}: n={self.n} cIoU={self.ciou:.4f} gIoU={self.giou:.4f} REC@0.5={self.rec_acc50:.4f} "
            f"click={self.click_acc:.4f} format-errors={self.format_error_rate:.4f} tokens={self.mean_answer_tokens:.1f}"
            + ("" if self.decoding == "greedy" else f" decoding: {self.decoding}")
        )
        if self.click_on:
            line += "\nclicks landed on: " + ", ".join(f"{k} {v}" for k, v in self.click_on.items())
        for name, part in [("model", self.breakdown), *self.baselines.items()]:
            if not part:
                continue
            line += (f"\n{name}: click={part['click_acc']:.4f} box-IoU={part['box_iou']:.4f} "
                     f"latency={part['latency_s']:.3f}s (n={part['n']})")
            for by in ("by_source", "by_label"):
                line += f"\n  {by.replace('_', ' ')}: " + "; ".join(
                    f"{k} {v['click_acc']:.3f}/{v['box_iou']:.3f}/{v['latency_s']:.2f}s (n={v['n']})" for k, v in part[by].items())
        return line


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def evaluate_records(
    segmenter,
    records: Sequence[Record],
    records_file: str | Path,
    *,
    split: str = "eval",
    batch_size: int = 8,
    progress: bool = True,
) -> EvalReport:
    """Evaluate ``segmenter`` (a :class:`~simpleseg_agent.tools.SimpleSeg`) on records.

    Example (a named fake backend answering the ground truth; real use passes a model):
        >>> import tempfile, os
        >>> from PIL import Image
        >>> from simpleseg_agent.geometry import Region
        >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
        >>> from simpleseg_agent.tools import SimpleSeg
        >>> d = tempfile.mkdtemp(); Image.new("RGB", (100, 100)).save(os.path.join(d, "a.png"))
        >>> rec = Record("a.png", (100, 100), ["the box"], Region.from_polygons([[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]))
        >>> seg = SimpleSeg(FakeAnswerBackend(["[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]]"]))
        >>> r = evaluate_records(seg, [rec], os.path.join(d, "records.jsonl"), progress=False)
        >>> r.ciou, r.click_acc, r.format_error_rate, r.click_on
        (1.0, 1.0, 0.0, {'target': 1, 'same-kind': 0, 'other': 0, 'nothing': 0, 'no click': 0})
    """
    from tqdm.auto import tqdm

    acc, rec_rate, click_rate, fmt_rate = IoUAccumulator(), HitRate(), HitRate(), HitRate()
    tokens: list[int] = []
    samples: list[SampleResult] = []
    on_image: dict[str, list[Record]] = {}  # the other elements a click can land on
    for r in records:
        on_image.setdefault(r.image_path, []).append(r)
    landed = dict.fromkeys(("target", "same-kind", "other", "nothing", "no click"), 0)
    bar = tqdm(total=len(records), desc=f"eval {split}", unit="query", disable=not progress)
    # a server's backend keeps `concurrency` requests in flight: a chunk gives it at least that many
    chunk_size = max(batch_size, int(getattr(segmenter.backend, "concurrency", 1) or 1))
    for chunk in _chunks(list(records), chunk_size):
        images = [str(resolve_image(r, records_file)) for r in chunk]
        t0 = time.perf_counter()
        results = segmenter.run_batch(images, [r.expressions[0] for r in chunk], "mask")
        latency = (time.perf_counter() - t0) / len(chunk)
        preds = [res.region() if res.ok else Region.empty() for res in results]
        gts = [r.region for r in chunk]
        inter, area_p, area_g = region_overlap_batch(preds, gts, [r.image_wh for r in chunk])
        for r, res, pred, i, ap, ag in zip(chunk, results, preds, inter, area_p, area_g):
            union = float(ap + ag - i)
            iou = acc.add(inter=float(i), union=union)
            fmt_error = not res.ok and res.error is not None and res.error.kind in ("parse", "not_found", "geometry")
            rec_hit = bool(not pred.is_empty and box_iou(pred.xyxy, r.region.xyxy) >= 0.5)
            click_hit = bool(res.ok and res.click is not None and point_in_region(res.click.xy_norm, r.region))
            on = _landed(r, res.click.xy_norm, click_hit, on_image[r.image_path]) if res.ok and res.click else ""
            landed[on or "no click"] += 1
            rec_rate.add(rec_hit)
            click_rate.add(click_hit)
            fmt_rate.add(fmt_error)
            tokens.append(res.answer_tokens)
            samples.append(SampleResult(
                r.record_id, r.expressions[0], float(iou), float(i), union, rec_hit, click_hit, fmt_error,
                res.answer_tokens, "" if res.ok else f"{res.error.kind}: {res.error.message}"[:200], res.agreement, on,
                r.label, r.source, latency, float(box_iou(pred.xyxy, r.region.xyxy)) if not pred.is_empty else 0.0,
            ))
        bar.update(len(chunk))
    bar.close()
    return EvalReport(
        split=split,
        model=getattr(segmenter.preset, "name", ""),
        n=acc.n,
        ciou=float(acc.ciou) if acc.n else float("nan"),
        giou=float(acc.giou),
        rec_acc50=rec_rate.accuracy,
        click_acc=click_rate.accuracy,
        format_error_rate=fmt_rate.accuracy,
        mean_answer_tokens=float(np.mean(tokens)) if tokens else float("nan"),
        samples=samples,
        decoding=_decoding(segmenter),
        click_on=landed,
    )


def _landed(target: Record, xy_norm, hit: bool, same_image: Sequence[Record]) -> str:
    """Where a click landed: ``target``, ``same-kind``, ``other`` or ``nothing`` (see the module docstring)."""
    if hit:
        return "target"
    inside = [o for o in same_image if o is not target and point_in_region(xy_norm, o.region)]
    if target.label and any(o.label == target.label for o in inside):
        return "same-kind"
    return "other" if inside else "nothing"


def _decoding(segmenter) -> str:
    """How the segmenter answers: ``greedy``, or ``consensus of greedy + 8 samples (T 0.7, seed 0)``, and
    ``, constrained`` when it decodes with the answer grammar, ``, snapped`` when it snaps to screen elements,
    ``, choose-only`` when it chooses among them without generating an answer (``choose_only``), ``, read text``
    when the screen's words help it choose (``read_text``), ``, text lines`` when a chosen line of text's extent is
    settled from the pixels (``text_extent``), ``, shapes`` when another chosen shape's outline is (``shape_extent``),
    ``, kinds`` when the kinds of element the pixels show help it choose (``kinds``), and ``, grounded first
    (<engine>)`` when the screen's words answer before the model does (``ground``, read by ``ocr_engine``)."""
    d = getattr(segmenter, "decoding", None)
    if d is None:  # a segmenter without a decoding (a fake): greedy
        return "greedy"
    k = d.samples
    how = "greedy" if not k else f"consensus of greedy + {k} samples (T {d.temperature:g}, seed {d.seed})"
    return (how + (", constrained" if d.constrained else "") + (", snapped" if d.snap else "")
            + (", choose-only" if d.choose_only else "") + (", read text" if d.read_text else "")
            + (", text lines" if d.text_extent else "") + (", shapes" if d.shape_extent else "")
            + (", kinds" if d.kinds else "")
            + (f", grounded first ({d.ocr_engine})" if getattr(d, "ground", False) else ""))


def evaluate(model, data: str | Path, *, split: str | None = None, out_dir: str | Path | None = None,
             batch_size: int = 8, max_samples: int | None = None, decoding: Any = None,
             progress: bool = True, baselines: Sequence[str] = (), **backend_kwargs: Any) -> EvalReport:
    """Evaluate a model on a ``records.jsonl`` and write ``<split>.json`` and ``<split>.png`` to ``out_dir``.

    ``model``: a :class:`~simpleseg_agent.tools.SimpleSeg` (``decoding`` must then be ``None``) or what
    ``SimpleSeg`` loads, decoded with ``decoding`` (a :class:`~simpleseg_agent.tools.Decoding`; ``None``: the
    preset's). ``baselines`` (``ocr``, ``ocr-rapidocr``, ``unsnapped``; see :mod:`~simpleseg_agent.training.baselines`) are
    computed on the same queries; with any, the report also breaks the model's and each baseline's click
    accuracy, box IoU and latency down by source and by element type."""
    from ..tools import SimpleSeg

    records_file = Path(data)
    if not records_file.is_file():
        raise FileNotFoundError(f"evaluation records not found: {records_file} (expected a records.jsonl)")
    records = list(read_records(records_file))
    if max_samples:
        records = records[:max_samples]
    if isinstance(model, SimpleSeg) and (decoding is not None or backend_kwargs):
        raise ModelError("evaluate: a SimpleSeg already has its decoding and backend; pass decoding and backend "
                         "options only with a model to load")
    segmenter = model if isinstance(model, SimpleSeg) else SimpleSeg(model, decoding=decoding, **backend_kwargs)
    report = evaluate_records(segmenter, records, records_file, split=split or records_file.stem,
                              batch_size=batch_size, progress=progress)
    unknown = sorted(set(baselines) - {"ocr", "ocr-rapidocr", "unsnapped"})
    if unknown:
        from ..errors import SimpleSegError

        raise SimpleSegError(f"unknown baseline(s) {', '.join(unknown)}: expected ocr, ocr-rapidocr and/or unsnapped")
    if baselines:
        from . import baselines as bl

        report.breakdown = bl.summary(report.samples)
        if "ocr" in baselines:
            report.baselines["ocr"] = bl.summary(bl.ocr_baseline(records, records_file))
        if "ocr-rapidocr" in baselines:
            report.baselines["ocr-rapidocr"] = bl.summary(bl.ocr_baseline(records, records_file, engine="rapidocr"))
        if "unsnapped" in baselines:
            plain = evaluate_records(bl.unsnapped(segmenter), records, records_file, split=report.split,
                                     batch_size=batch_size, progress=progress)
            report.baselines["unsnapped"] = bl.summary(plain.samples)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{report.split}.json").write_text(json.dumps(report.to_json(), indent=2))
        draw_report_chart(report, out / f"{report.split}.png")
    return report


def draw_report_chart(report: EvalReport, out_png: str | Path) -> Path:
    """A bar chart of the split's metrics (PNG), drawn with Pillow."""
    from PIL import Image, ImageDraw

    metrics = [("cIoU", report.ciou), ("gIoU", report.giou), ("REC@0.5", report.rec_acc50),
               ("click", report.click_acc), ("format err", report.format_error_rate)]
    w, h, left, top, bar_h = 560, 60 + 44 * len(metrics), 110, 44, 28
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.text((12, 12), f"{report.split} - {report.model} - n={report.n}, {report.mean_answer_tokens:.0f} tokens/answer", fill=(0, 0, 0))
    for k, (name, value) in enumerate(metrics):
        y = top + k * 44
        v = 0.0 if value != value else max(0.0, min(1.0, value))  # NaN -> empty bar
        d.text((12, y + 8), name, fill=(0, 0, 0))
        d.rectangle((left, y, left + 400, y + bar_h), outline=(200, 200, 200))
        d.rectangle((left, y, left + int(400 * v), y + bar_h), fill=(200, 60, 60) if name == "format err" else (40, 110, 200))
        x = left + int(400 * v) + 5 if v < 0.85 else left + int(400 * v) - 50  # beside the bar, or inside a long one
        d.text((x, y + 8), f"{value:.3f}", fill=(0, 0, 0) if v < 0.85 else (255, 255, 255))
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)
    return out
