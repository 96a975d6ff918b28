"""The shipped default model: its architecture, its data and the pipeline that reproduces it.

The default model is a small Qwen2.5-VL (about 4.9 M parameters, fp32 safetensors under 25 MB)
trained from random weights with this project's own recipes on generated GUI screens of the
``easy`` difficulty:

1. ``init``  — :data:`DEFAULT_MODEL_SETTINGS` written by :func:`~simpleseg_agent.testing.tiny_model.build_tiny_model`
   (stock processor and chat template, a byte-level BPE tokenizer, random weights from the seed);
2. ``data``  — ``simpleseg data synth gui`` with :data:`TRAIN_DATA`, :data:`STARTER_DATA`, :data:`GSPO_DATA`,
   :data:`GSPO_STARTER_DATA`, :data:`POLISH_DATA`, :data:`POLISH_STARTER_DATA`, :data:`VALIDATION_DATA`,
   :data:`CONTRAST_DATA`, :data:`CONTRAST_STARTER_DATA`,
   :data:`HELDOUT_DATA` and :data:`STARTER_HELDOUT_DATA`; the second stage's records merge starter and easy
   screens (:data:`LOCATE_MIX`), so do each GSPO cycle's (:data:`GSPO_MIX`, :data:`POLISH_MIX`);
3. ``sft``   — ``default-gui-sft`` (multi-turn rows: one image, several questions);
4. ``locate`` — ``default-gui-locate``: a second SFT stage from the first one's model on
   starter screens (a small window anywhere, so positions cannot be guessed) mixed with easy ones;
5. ``refine`` — ``default-gui-refine``: more of the second stage (same records, a new order,
   a restarted schedule at a lower peak);
6. ``gspo``  — ``default-gui-gspo`` from the third stage's model, on easy and starter screens;
7. ``polish`` — ``default-gui-polish``: a second GSPO cycle from the first one's model, on fresh
   screens, its learning rate rising again to a lower peak and decaying to 0;
8. ``choose`` — ``default-gui-choose``: choice training from the second cycle's model on
   training screens (:data:`CHOOSE_MIX`): the model learns to pick, among the element boxes near a
   target, the target's (the decision snapping asks of it; :mod:`simpleseg_agent.training.choose`);
9. ``contrast`` — ``default-gui-contrast``: choice training again from the choice stage's
   model, on screens of its own (:data:`CONTRAST_MIX`), with hard negatives: the boxes of the screen's other
   labelled elements (what reading confuses with the target) among each question's wrong boxes;
10. ``squares`` — ``default-gui-squares``: 400 more steps of the same choice training from the
   contrast stage's model, on its screens in another order, with a thin mark (a minimize dash) also a
   candidate as the square around it (:func:`~simpleseg_agent.tools.snapping.snap_candidates`): the
   minimize/maximize pair is trained against each other;
11. ``extent`` — ``default-gui-extent``: 400 more steps from the squares stage's model, on the same
   screens in a third order, with extent negatives: boxes that overlap the target but fit it worse (its
   element outlined too tightly or too loosely), so the model learns how far an element extends;
12. ``validate`` — ``simpleseg eval`` of every checkpoint of the GSPO cycles and of the choice stages (snapped,
   reading the screen's words) on the validation screens (:data:`VALIDATION_DATA`): the curves each
   stage's length and schedule are judged by;
13. ``eval``  — ``simpleseg eval`` on the held-out screens (easy; and starter), as each model answers,
   constrained and snapped.

``python tools/train_default_model.py --work runs/default`` runs the steps in order and resumes
where it stopped. The architecture choices, for the record: ``rope_theta`` 30 instead of 1e6,
so the height and width sections of M-RoPE (head dim 64, sections 8/12/12) turn by 0.04-0.43 rad
per grid cell and a 23-column screen spans about 2.8 rad instead of a few thousandths; images up
to ``28*28*160`` pixels (a 640x400 screen is seen at about 448x280, its 20-26 px labels at 14-18 px).

Example:
    >>> DEFAULT_MODEL_SETTINGS.text_hidden, DEFAULT_MODEL_SETTINGS.max_pixels == 28 * 28 * 160
    (256, True)
    >>> TRAIN_DATA["difficulty"], HELDOUT_DATA["seed"] != TRAIN_DATA["seed"]
    ('easy', True)
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..testing.tiny_model import TinyModelSettings

__all__ = ["CHOICE_MIXES", "CHOICE_STAGES", "CI_SCREENS", "CONTRAST_DATA", "CONTRAST_MIX", "CONTRAST_STARTER_DATA", "DEFAULT_MODEL_SETTINGS", "GSPO_DATA", "GSPO_MIX", "GSPO_STAGES", "GSPO_STARTER_DATA",
           "HELDOUT_DATA", "HELDOUT_REPORTS", "LOCATE_MIX", "CHOOSE_MIX", "POLISH_DATA", "POLISH_MIX", "POLISH_STARTER_DATA", "PRESET_DECODING", "STAGES", "STARTER_DATA",
           "STARTER_HELDOUT_DATA", "TRAINING_DATA", "TRAIN_DATA", "VALIDATED_STAGES", "VALIDATION_DATA", "FONT_PACKAGES", "missing_fonts", "provenance", "restore_work", "subset_metrics",
           "validation_reports"]

#: The architecture and random initialization of the default model.
DEFAULT_MODEL_SETTINGS = TinyModelSettings(
    seed=8,
    vocab_size=1000,
    text_hidden=256,
    text_layers=4,
    text_heads=4,
    text_kv_heads=2,
    text_intermediate=768,
    vision_hidden=128,
    vision_depth=4,
    vision_heads=4,
    vision_intermediate=256,
    min_pixels=28 * 28 * 4,
    max_pixels=28 * 28 * 160,
    rope_theta=30.0,
)

#: ``simpleseg data synth gui`` arguments of the training screens.
TRAIN_DATA = {"n": 20000, "seed": 1, "difficulty": "easy"}
#: ... of the starter screens of the second SFT stage...
STARTER_DATA = {"n": 8000, "seed": 11, "difficulty": "starter"}
#: ... whose records file merges all starter screens with the first 6,000 training screens:
#: ``(data folder, screens, record id prefix)``.
LOCATE_MIX = (("starter", None, "starter"), ("train", 6000, "easy"))
#: ... of the GSPO prompts (screens of their own, easy and starter, merged as :data:`GSPO_MIX`)...
GSPO_DATA = {"n": 400, "seed": 3, "difficulty": "easy"}
GSPO_STARTER_DATA = {"n": 400, "seed": 13, "difficulty": "starter"}
GSPO_MIX = (("gspo", None, "easy"), ("gspo-starter", None, "starter"))
#: ... of the second GSPO cycle's prompts (fresh screens again, merged as :data:`POLISH_MIX`)...
POLISH_DATA = {"n": 400, "seed": 5, "difficulty": "easy"}
POLISH_STARTER_DATA = {"n": 400, "seed": 15, "difficulty": "starter"}
POLISH_MIX = (("polish", None, "easy"), ("polish-starter", None, "starter"))
#: ... of the choice stage's questions: training screens the SFT stages used (their first 1,500 easy and
#: 500 starter screens; choosing among boxes is a new task on them)...
CHOOSE_MIX = (("train", 1500, "easy"), ("starter", 500, "starter"))
#: ... of the second choice stage's questions (hard negatives; screens no earlier stage saw, merged as
#: :data:`CONTRAST_MIX`)...
CONTRAST_DATA = {"n": 1500, "seed": 7, "difficulty": "easy"}
CONTRAST_STARTER_DATA = {"n": 500, "seed": 17, "difficulty": "starter"}
CONTRAST_MIX = (("contrast", None, "easy"), ("contrast-starter", None, "starter"))
#: ... of the validation screens that choose where GSPO stops (seeds neither training nor the held-out
#: set use; the held-out screens are never used to choose)...
VALIDATION_DATA = {"n": 60, "seed": 2029, "difficulty": "easy"}
#: ... and of the held-out screens (a seed the training data never uses).
HELDOUT_DATA = {"n": 200, "seed": 2026, "difficulty": "easy"}
#: Held-out screens of the second stage's layout (a small window anywhere on the desktop): whether a stage
#: keeps what the starter screens taught it. Reported next to the main held-out set, never used to choose.
STARTER_HELDOUT_DATA = {"n": 100, "seed": 2027, "difficulty": "starter"}
#: Every set of screens the default model is trained on (never shown by the demo, never held out).
TRAINING_DATA = (TRAIN_DATA, STARTER_DATA, GSPO_DATA, GSPO_STARTER_DATA, POLISH_DATA, POLISH_STARTER_DATA,
                 CONTRAST_DATA, CONTRAST_STARTER_DATA)


#: The training stages in order; each starts from the previous one's ``final`` model.
STAGES = ("sft", "locate", "refine", "gspo", "polish", "choose", "contrast", "squares", "extent")
#: The stages trained with GSPO; the pipeline scores each one's checkpoints on the validation screens.
GSPO_STAGES = ("gspo", "polish")
#: The stages trained to choose among element boxes (``simpleseg train choose``): scored snapped, as the
#: preset decodes (what they train is the choice snapping makes). The ``squares`` and ``extent`` stages
#: train on the contrast stage's screens (:data:`CONTRAST_MIX`).
CHOICE_STAGES = ("choose", "contrast", "squares", "extent")
#: Each choice stage's records (its provenance says them as ``<stage>_mix``).
CHOICE_MIXES = {"choose": CHOOSE_MIX, "contrast": CONTRAST_MIX, "squares": CONTRAST_MIX, "extent": CONTRAST_MIX}
#: The stages whose checkpoints the pipeline scores on the validation screens.
VALIDATED_STAGES = (*GSPO_STAGES, *CHOICE_STAGES)

#: The first screens of the held-out set that CI regenerates and evaluates (their metrics ship in the provenance).
CI_SCREENS = 12


def subset_metrics(samples: list[dict], n_screens: int = CI_SCREENS) -> dict[str, float]:
    """Metrics of a held-out report restricted to its first ``n_screens`` screens (record ids ``SSSSSS-EEE``).

    Example:
        >>> s = [{"record_id": "000000-000", "iou": 1.0, "inter_px": 10, "union_px": 10, "click_hit": True,
        ...       "format_error": False, "rec_hit": True},
        ...      {"record_id": "000020-000", "iou": 0.0, "inter_px": 0, "union_px": 10, "click_hit": False,
        ...       "format_error": True, "rec_hit": False}]
        >>> subset_metrics(s, 12)["giou"], subset_metrics(s, 30)["n"]
        (1.0, 2)
    """
    picked = [x for x in samples if int(str(x["record_id"]).split("-")[0]) < n_screens]
    n = len(picked)
    if not n:
        raise ValueError(f"no sample of the first {n_screens} screens in the report")
    union = sum(float(x["union_px"]) for x in picked)
    return {
        "n_screens": n_screens,
        "n": n,
        "giou": sum(float(x["iou"]) for x in picked) / n,
        "ciou": sum(float(x["inter_px"]) for x in picked) / union if union else float("nan"),
        "rec_acc50": sum(bool(x["rec_hit"]) for x in picked) / n,
        "click_acc": sum(bool(x["click_hit"]) for x in picked) / n,
        "format_error_rate": sum(bool(x["format_error"]) for x in picked) / n,
    }


def validation_reports(work: str | Path, stage: str = "gspo") -> dict[int, dict]:
    """A validated stage's (:data:`VALIDATED_STAGES`) checkpoints' reports on the validation screens
    (``<work>/reports/<stage>-validation/<step>/val.json``, written by the pipeline's ``validate`` step), by step
    in order.

    Example:
        >>> import tempfile, json, pathlib
        >>> w = pathlib.Path(tempfile.mkdtemp())
        >>> for step in (50, 25):
        ...     (w / "reports" / "gspo-validation" / str(step)).mkdir(parents=True)
        ...     _ = (w / "reports" / "gspo-validation" / str(step) / "val.json").write_text(json.dumps({"giou": step / 100}))
        >>> validation_reports(w), validation_reports(w, "polish")
        ({25: {'giou': 0.25}, 50: {'giou': 0.5}}, {})
    """
    if stage not in VALIDATED_STAGES:
        raise ValueError(f"stage must be one of {VALIDATED_STAGES}, got {stage!r}")
    found = {int(f.parent.name): json.loads(f.read_text())
             for f in (Path(work) / "reports" / f"{stage}-validation").glob("*/val.json") if f.parent.name.isdigit()}
    return dict(sorted(found.items()))


def _font_names() -> list[str]:
    """The font families the generator found (screens are drawn with them: other fonts, other pixels)."""
    from ..mockup.fonts import available_fonts

    return [f.name for f in available_fonts()]


#: The Debian packages of the generator's font families (``.ci/run`` installs them).
FONT_PACKAGES = ("fonts-dejavu-core", "fonts-dejavu-extra", "fonts-liberation", "fonts-roboto-unhinted",
                 "fonts-open-sans", "fonts-cantarell", "fonts-lato")


def missing_fonts() -> list[str]:
    """The generator's font families this machine lacks. The default model's screens were drawn with all of
    them: screens generated without some are other screens (other training data, another held-out set).

    Example:
        >>> isinstance(missing_fonts(), list)
        True
    """
    from ..mockup.fonts import FONT_FAMILIES

    found = set(_font_names())
    return [name for name, _, _ in FONT_FAMILIES if name not in found]


def _git_commit(repo: Path) -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _summary(report: dict) -> dict:
    """An evaluation report without its per-query samples."""
    return {k: v for k, v in report.items() if k != "samples"}


def provenance(*, stage: str, run_dir: str | Path, reports: dict[str, dict], repo: str | Path,
               constrained_reports: dict[str, dict] | None = None,
               validation: dict[str, dict[int, dict]] | None = None,
               starter_reports: dict[str, dict] | None = None,
               snapped_reports: dict[str, dict] | None = None,
               starter_snapped_reports: dict[str, dict] | None = None) -> dict[str, Any]:
    """What ``simpleseg_model.json`` says about the shipped weights: how they were made and how they score.

    Args:
        stage: which run is shipped (one of :data:`STAGES`).
        run_dir: that run's ``final`` folder (``<work>/<stage>/final``; its ``simpleseg_model.json`` holds the
            recipe and the log). The earlier stages' runs are read from their folders next to it.
        reports: held-out evaluation reports by stage (``simpleseg eval`` JSON).
        repo: the repository, for the commit.
        constrained_reports: the same with ``--constrained`` (the answer grammar, as the shipped preset
            decodes); when the shipped stage has one, the CI sample's metrics come from it.
        validation: each validated stage's (:data:`VALIDATED_STAGES`) checkpoints' reports on the validation screens, by stage and step (kept
            without samples, as ``<stage>_validation``).
        starter_reports: reports by stage on the starter held-out screens (:data:`STARTER_HELDOUT_DATA`).
        snapped_reports: the held-out reports with ``--constrained --snap`` (outlines snapped to the screen's
            elements, as the shipped preset decodes); when the shipped stage has one, the CI sample's metrics
            come from it, and ``ci_sample_unsnapped`` from its constrained report.
        starter_snapped_reports: the starter held-out reports with ``--constrained --snap``.

    Example:
        >>> import tempfile, json, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()) / "sft" / "final"
        >>> d.mkdir(parents=True)
        >>> _ = (d / "simpleseg_model.json").write_text(json.dumps({"recipe": {"name": "x"}, "global_step": 5}))
        >>> info = provenance(stage="sft", run_dir=d, reports={"sft": {"ciou": 0.5, "samples": []}}, repo=d)
        >>> info["coord_space"], info["stage"], info["heldout"]["sft"]["ciou"], "samples" in info["heldout"]["sft"]
        ('1000', 'sft', 0.5, False)
        >>> list(info["runs"]), info["heldout_constrained"], info["ci_sample"], info["gspo_validation"]
        (['sft'], {}, None, {})
        >>> info["polish_validation"], info["data"]["polish"]["seed"]
        ({}, 5)
        >>> info["heldout_starter"], info["data"]["heldout_starter"]["difficulty"]
        ({}, 'starter')
        >>> info["heldout_snapped"], info["heldout_starter_snapped"], info["ci_sample_unsnapped"]
        ({}, {}, None)
        >>> info["choose_validation"], info["data"]["choose_mix"][0], info["snap"]
        ({}, {'data': 'train', 'screens': 1500, 'prefix': 'easy'}, None)
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    run_dir = Path(run_dir)
    work = run_dir.parent.parent
    runs: dict[str, Any] = {}
    snap = None  # the shipped run's snap settings (a choice-trained model declares them)
    for name in STAGES[: STAGES.index(stage) + 1]:
        f = (run_dir if name == stage else work / name / "final") / "simpleseg_model.json"
        if f.is_file():
            info = json.loads(f.read_text())
            runs[name] = {k: info.get(k) for k in ("recipe", "global_step", "seconds", "resumed_from", "log_history")}
            snap = info.get("snap") if name == stage else snap
    unsnapped = (constrained_reports or {}).get(stage) or reports.get(stage, {})
    ci = (snapped_reports or {}).get(stage) or unsnapped  # as `simpleseg eval` of the preset decodes
    return {
        "name": "simpleseg-gui-small",
        "description": "Qwen2.5-VL architecture, trained from random weights on generated GUI screens (easy, then starter + easy)",
        "stage": stage,
        "coord_space": "1000",
        "answer_style": "compact",
        "architecture": asdict(DEFAULT_MODEL_SETTINGS),
        "data": {"train": TRAIN_DATA, "starter": STARTER_DATA,
                 "locate_mix": [{"data": d, "screens": n, "prefix": p} for d, n, p in LOCATE_MIX],
                 "gspo": GSPO_DATA, "gspo_starter": GSPO_STARTER_DATA,
                 "gspo_mix": [{"data": d, "screens": n, "prefix": p} for d, n, p in GSPO_MIX],
                 "polish": POLISH_DATA, "polish_starter": POLISH_STARTER_DATA,
                 "polish_mix": [{"data": d, "screens": n, "prefix": p} for d, n, p in POLISH_MIX],
                 "contrast": CONTRAST_DATA, "contrast_starter": CONTRAST_STARTER_DATA,
                 **{f"{name}_mix": [{"data": d, "screens": n, "prefix": p} for d, n, p in mix]
                    for name, mix in CHOICE_MIXES.items()},
                 "validation": VALIDATION_DATA, "heldout": HELDOUT_DATA, "heldout_starter": STARTER_HELDOUT_DATA,
                 "generator": "simpleseg data synth gui (PIL engine)", "fonts": _font_names()},
        "snap": snap,
        "commit": _git_commit(Path(repo)),
        "reproduce": "python tools/train_default_model.py --work runs/default --ship",
        "heldout": {k: _summary(r) for k, r in reports.items()},
        "heldout_constrained": {k: _summary(r) for k, r in (constrained_reports or {}).items()},
        "heldout_starter": {k: _summary(r) for k, r in (starter_reports or {}).items()},
        "heldout_snapped": {k: _summary(r) for k, r in (snapped_reports or {}).items()},
        "heldout_starter_snapped": {k: _summary(r) for k, r in (starter_snapped_reports or {}).items()},
        "ci_sample": subset_metrics(ci["samples"]) if ci.get("samples") else None,
        "ci_sample_unsnapped": (subset_metrics(unsnapped["samples"])
                                if (snapped_reports or {}).get(stage) and unsnapped.get("samples") else None),
        **{f"{name}_validation": {str(step): _summary(r) for step, r in sorted((validation or {}).get(name, {}).items())}
           for name in VALIDATED_STAGES},
        "runs": runs,
    }


#: The ``simpleseg eval`` flags of the shipped preset's decoding, for a model folder (whose card declares only
#: how it snaps): snapped, reading the screen's words, a chosen line of text's extent settled from the pixels.
PRESET_DECODING: tuple[str, ...] = ("--constrained", "--snap", "--read-text", "--text-extent", "--shape-extent",
                                    "--kinds")

#: Each stage's held-out reports: ``reports/<stage><suffix>/heldout.json`` in a working folder, made by
#: ``simpleseg eval`` with ``flags`` on the screens of ``data/<folder>``, their summaries kept in the provenance
#: under ``key``. As each model answers, with the answer grammar, and as the shipped preset decodes (snapped,
#: reading the screen's words, a chosen line of text's extent settled from the pixels).
HELDOUT_REPORTS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("", (), "heldout", "heldout"),
    ("-constrained", ("--constrained",), "heldout", "heldout_constrained"),
    ("-snapped", PRESET_DECODING, "heldout", "heldout_snapped"),
    ("-starter", (), "heldout-starter", "heldout_starter"),
    ("-starter-snapped", PRESET_DECODING, "heldout-starter", "heldout_starter_snapped"),
)


def restore_work(work: str | Path, package: str | Path) -> list[Path]:
    """Write a shipped model and what its provenance (``simpleseg_model.json``) keeps into a pipeline working
    folder, so the stages after it can run without training the earlier ones again, and a re-ship keeps
    their numbers: its files as ``<work>/<stage>/final`` (with a run card: its recipe, log, snap settings),
    the earlier stages' run cards (``<work>/<name>/final/simpleseg_model.json``, no weights), the held-out
    reports (summaries; the per-query samples are not shipped) and the validation curves. Files already
    there are kept. Returns the files written.

    Example:
        >>> import tempfile, json, pathlib
        >>> pkg = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (pkg / "model.safetensors").write_bytes(b"weights")
        >>> info = {"stage": "gspo", "coord_space": "1000", "snap": None,
        ...         "runs": {"sft": {"recipe": {"name": "a"}}, "gspo": {"recipe": {"name": "b", "kind": "gspo"}}},
        ...         "heldout": {"sft": {"giou": 0.1}, "gspo": {"giou": 0.2}}, "gspo_validation": {"25": {"giou": 0.3}}}
        >>> _ = (pkg / "simpleseg_model.json").write_text(json.dumps(info))
        >>> work = pathlib.Path(tempfile.mkdtemp())
        >>> sorted(str(p.relative_to(work)) for p in restore_work(work, pkg))  # doctest: +NORMALIZE_WHITESPACE
        ['gspo/final/model.safetensors', 'gspo/final/simpleseg_model.json', 'reports/gspo-validation/25/val.json',
         'reports/gspo/heldout.json', 'reports/sft/heldout.json', 'sft/final/simpleseg_model.json']
        >>> validation_reports(work, "gspo"), json.loads((work / "gspo/final/simpleseg_model.json").read_text())["coord_space"]
        ({25: {'giou': 0.3}}, '1000')
    """
    import shutil

    work, package = Path(work), Path(package)
    card_file = package / "simpleseg_model.json"
    if not card_file.is_file():
        raise FileNotFoundError(f"{card_file}: no provenance to restore from")
    info = json.loads(card_file.read_text())
    stage = info.get("stage")
    if stage not in STAGES:
        raise ValueError(f"{card_file}: stage must be one of {STAGES}, got {stage!r}")
    written: list[Path] = []

    def _write(path: Path, data: dict) -> None:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=2) + "\n")
            written.append(path)

    final = work / stage / "final"
    for f in sorted(package.iterdir()):
        if f.is_file() and f.name != "simpleseg_model.json" and not (final / f.name).exists():
            final.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, final / f.name)
            written.append(final / f.name)
    for name, run in (info.get("runs") or {}).items():
        card = {**run, "restored_from": str(card_file)}
        if name == stage:
            card["coord_space"] = info.get("coord_space")
            if info.get("snap"):
                card["snap"] = info["snap"]
        _write(work / name / "final" / "simpleseg_model.json", card)
    for suffix, _flags, _folder, key in HELDOUT_REPORTS:
        for name, summary in (info.get(key) or {}).items():
            _write(work / "reports" / f"{name}{suffix}" / "heldout.json", summary)
    for name in VALIDATED_STAGES:
        for step, summary in (info.get(f"{name}_validation") or {}).items():
            _write(work / "reports" / f"{name}-validation" / str(step) / "val.json", summary)
    return written
