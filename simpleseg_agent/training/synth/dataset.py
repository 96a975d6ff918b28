"""Write a generator's samples as a dataset folder: ``images/NNNNNN.png`` + ``records.jsonl``.

Sample ``i`` depends only on ``(seed, i)``, so a run with ``workers=4`` writes the same bytes as
one with ``workers=1``, and ``n=16`` starts with the 8 screens of ``n=8``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..records import Record, write_records
from ._common import SynthConfigError, encode_png

RECORDS_FILE = "records.jsonl"
CONTACT_SHEET_FILE = "contact_sheet.png"


@dataclass(frozen=True)
class DatasetSummary:
    """What :func:`write_dataset` wrote."""

    out_dir: Path
    records_file: Path
    images: int
    records: int
    seconds: float
    contact_sheet: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir), "records_file": str(self.records_file), "images": self.images,
            "records": self.records, "seconds": round(self.seconds, 3),
            "contact_sheet": None if self.contact_sheet is None else str(self.contact_sheet),
        }


_WORKER: Any = None


def _init_worker(cls: type, config: Any) -> None:
    global _WORKER
    _WORKER = cls(config)
    close = getattr(_WORKER, "close", None)
    if close is not None:
        # pool workers leave through os._exit, which skips atexit and weakref finalizers; this hook
        # runs, so a worker's browser does not outlive it
        from multiprocessing.util import Finalize

        Finalize(_WORKER, close, exitpriority=10)


def _render(args: tuple[int, int, int]) -> tuple[int, bytes, list[dict]]:
    index, seed, level = args
    s = _WORKER.sample(index, seed)
    return index, encode_png(s.image, level), [r.to_json() for r in s.records]


def _samples(generator: Any, n: int, seed: int, workers: int, level: int) -> Iterator[tuple[int, bytes, list[dict]]]:
    if workers == 1:
        for i in range(n):
            s = generator.sample(i, seed)
            yield i, encode_png(s.image, level), [r.to_json() for r in s.records]
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(type(generator), generator.config)) as ex:
        yield from ex.map(_render, [(i, seed, level) for i in range(n)], chunksize=max(1, min(16, n // (4 * workers))))


def write_dataset(
    generator: Any,
    n: int,
    out_dir: str | Path,
    *,
    seed: int = 0,
    progress: bool = False,
    workers: int = 1,
    contact_sheet: bool = False,
    contact_sheet_n: int = 12,
    compress_level: int = 3,
    overwrite: bool = False,
) -> DatasetSummary:
    """Generate ``n`` samples with ``generator`` (anything with ``sample(index, seed)`` and a ``config``)
    and write them under ``out_dir``.

    Args:
        n: how many images.
        seed: the run's seed (>= 0); sample ``i`` depends on ``(seed, i)`` only.
        progress: show a tqdm progress bar (when tqdm is installed).
        workers: processes rendering in parallel (same output as 1).
        contact_sheet: also write ``contact_sheet.png`` (thumbnails with the targets drawn in).
        contact_sheet_n: thumbnails on the contact sheet.
        compress_level: PNG compression, 0 (fast, large) to 9 (slow, small).
        overwrite: replace an earlier dataset in ``out_dir`` (its images and records); without it a
            folder that already holds one is refused, so old images never sit beside new records.

    Example:
        >>> import tempfile
        >>> from simpleseg_agent.training.synth import GuiScreenGenerator
        >>> s = write_dataset(GuiScreenGenerator(), 2, tempfile.mkdtemp())
        >>> s.images, s.records_file.name, s.records > 0
        (2, 'records.jsonl', True)
    """
    for name, v, low in (("n", n, 1), ("seed", seed, 0), ("workers", workers, 1), ("contact_sheet_n", contact_sheet_n, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise SynthConfigError(f"{name} must be an integer >= {low}, got {v!r}")
    if not (isinstance(compress_level, int) and 0 <= compress_level <= 9):
        raise SynthConfigError(f"compress_level must be an integer in 0..9, got {compress_level!r}")
    out = Path(out_dir)
    earlier = [p for p in (out / "images", out / "records.jsonl", out / "contact_sheet.png") if p.exists()]
    if earlier and not overwrite:
        raise SynthConfigError(f"{out} already holds a dataset ({earlier[0].name}); choose another folder or pass overwrite=True (--overwrite)")
    for p in earlier:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    (out / "images").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    records: list[Record] = []
    it = _samples(generator, n, seed, workers, compress_level)
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc=f"{getattr(generator, 'source', 'synth')} -> {out}", unit="img")
        except ImportError:  # progress bars are optional
            bar = None
    try:
        for index, png, recs in it:
            (out / "images" / f"{index:06d}.png").write_bytes(png)
            records.extend(Record.from_json(r) for r in recs)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(records=len(records), refresh=False)
    finally:
        if bar is not None:
            bar.close()
    records_file = out / RECORDS_FILE
    write_records(records, records_file)
    sheet = None
    if contact_sheet:
        from .contact_sheet import contact_sheet as make_sheet

        sheet = make_sheet(records_file, out / CONTACT_SHEET_FILE, n=contact_sheet_n)
    return DatasetSummary(out, records_file, n, len(records), time.perf_counter() - t0, sheet)
