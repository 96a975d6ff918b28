"""Reproduce the shipped default model (``simpleseg-gui-small``) from scratch, step by step.

    python tools/train_default_model.py --work runs/default                  # everything, resumable
    python tools/train_default_model.py --work runs/default --steps eval     # one step
    python tools/train_default_model.py --work runs/default --ship           # ... and copy into the package

Steps (each is skipped when its output exists; SFT and GSPO resume from their last checkpoint):

1. ``init``  — the random 4.9 M-parameter Qwen2.5-VL of :data:`~simpleseg_agent.training.default_model.DEFAULT_MODEL_SETTINGS`;
2. ``data``  — ``simpleseg data synth gui`` for the training screens (easy, starter), the screens of the two
   GSPO cycles and the held-out screens, and ``data/locate/records.jsonl`` / ``data/gspo-mix/records.jsonl`` /
   ``data/polish-mix/records.jsonl`` / ``data/choose-mix/records.jsonl`` merging starter and easy screens for
   the second stage, for GSPO and for the choice stage;
3. ``sft``   — ``simpleseg train sft --recipe default-gui-sft``;
4. ``locate`` — ``simpleseg train sft --recipe default-gui-locate`` from the SFT model;
5. ``refine`` — ``simpleseg train sft --recipe default-gui-refine`` from the locate model (the same records);
6. ``gspo``  — ``simpleseg train gspo --recipe default-gui-gspo`` from the refine model (easy + starter screens);
7. ``polish`` — ``simpleseg train gspo --recipe default-gui-polish`` from the GSPO model (fresh screens): a
   second cycle, the learning rate up again and back to 0;
8. ``choose`` — ``simpleseg train choose --recipe default-gui-choose`` from the polish model (training screens,
   ``data/choose-mix/records.jsonl``): the model learns to pick the target's box among the element boxes
   near it, the choice snapping asks of it;
9. ``contrast`` — ``simpleseg train choose --recipe default-gui-contrast`` from the choice stage's model
   (``data/contrast-mix/records.jsonl``, screens of its own): choice training again, with hard negatives (the
   boxes of the screen's other labelled elements among each question's wrong boxes);
10. ``squares`` — ``simpleseg train choose --recipe default-gui-squares`` from the contrast stage's model (its
   screens, ``data/contrast-mix/records.jsonl``, in another order): 400 more steps of choice training, now
   that a thin mark is also a candidate as the square around it (minimize against maximize);
11. ``extent`` — ``simpleseg train choose --recipe default-gui-extent`` from the squares stage's model (the same
   records in a third order): 400 more steps with extent negatives (boxes that overlap the target but fit it
   worse), so the model learns how far an element extends;
12. ``validate`` — ``simpleseg eval`` of every checkpoint of both GSPO cycles (as they answer) and of the choice
   stages (snapped, reading the screen's words and settling lines of text, as the preset decodes) on the
   validation screens (never the held-out ones): the curves each recipe's length and schedule are judged by (run a step with a larger ``max_steps`` in a scratch folder to
   extend one);
13. ``eval``  — ``simpleseg eval`` of each stage's model on the held-out screens, as it answers, with
   ``--constrained`` (the answer grammar) and with ``--constrained --snap --read-text --text-extent`` (snapped
   to the screen's elements, the model choosing, the words helping, a line of text's extent from the pixels:
   as the shipped preset decodes), and on the starter held-out screens (a
   small window anywhere: does the stage keep what the starter screens taught?), as it answers and snapped;
14. ``ship``  (with ``--ship``) — the best of them by held-out mean IoU (gIoU) as the shipped preset decodes
   them (snapped; as each answers when a stage has no snapped report), with
   ``simpleseg_model.json`` provenance (recipes, commit, data seeds, metrics of every decoding; the CI
   sample's as the preset decodes and without snapping),
   into ``simpleseg_agent/models/simpleseg-gui-small``.

``--from-shipped`` starts from the model in the package instead of from scratch: it writes what its
provenance keeps into the working folder (its weights as its stage's ``final``; the earlier stages' run cards,
held-out reports without per-query samples and validation curves), so the stages after it can run and a
re-ship keeps every earlier stage's numbers, e.g.
``python tools/train_default_model.py --work runs/default --from-shipped --steps data,contrast,validate,eval --ship``.

Every step is a ``simpleseg`` command (printed before it runs), so the log is a recipe a user can
replay by hand. On the project's 2-core CPU: data ~3 min, SFT ~105 min, locate ~50 min, refine ~75 min, GSPO ~104 min, polish ~50 min, choose ~40 min, contrast ~70 min, squares ~23 min, extent ~25 min (their recipes train on one thread),
eval ~2 min per model and decoding (about 1 min on the starter held-out screens).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from simpleseg_agent.training.default_model import (
    CHOICE_STAGES,
    CHOOSE_MIX,
    CONTRAST_DATA,
    CONTRAST_MIX,
    CONTRAST_STARTER_DATA,
    DEFAULT_MODEL_SETTINGS,
    FONT_PACKAGES,
    GSPO_DATA,
    GSPO_MIX,
    GSPO_STARTER_DATA,
    HELDOUT_DATA,
    HELDOUT_REPORTS,
    LOCATE_MIX,
    POLISH_DATA,
    POLISH_MIX,
    POLISH_STARTER_DATA,
    PRESET_DECODING,
    STAGES,
    STARTER_DATA,
    STARTER_HELDOUT_DATA,
    TRAIN_DATA,
    VALIDATED_STAGES,
    VALIDATION_DATA,
    missing_fonts,
    provenance,
    restore_work,
    validation_reports,
)
from simpleseg_agent.training.records import merge_records

REPO = Path(__file__).resolve().parent.parent
#: The training steps in order: (stage, ``simpleseg train`` command, recipe, the stage whose ``final`` model it
#: starts from (``init``: the random model), the records folder under ``<work>/data``).
TRAINING_STEPS = (
    ("sft", "sft", "default-gui-sft", "init", "train"),
    ("locate", "sft", "default-gui-locate", "sft", "locate"),
    ("refine", "sft", "default-gui-refine", "locate", "locate"),
    ("gspo", "gspo", "default-gui-gspo", "refine", "gspo-mix"),
    ("polish", "gspo", "default-gui-polish", "gspo", "polish-mix"),
    ("choose", "choose", "default-gui-choose", "polish", "choose-mix"),
    ("contrast", "choose", "default-gui-contrast", "choose", "contrast-mix"),
    ("squares", "choose", "default-gui-squares", "contrast", "contrast-mix"),
    ("extent", "choose", "default-gui-extent", "squares", "contrast-mix"),
)
STEPS = ("init", "data", *(t[0] for t in TRAINING_STEPS), "validate", "eval")


def _run(argv: list[str], log: Path) -> None:
    cmd = [sys.executable, "-m", "simpleseg_agent.cli", *argv]
    print("$ simpleseg " + " ".join(shlex.quote(a) for a in argv), flush=True)
    t0 = time.time()
    with log.open("a") as f:
        f.write(f"\n$ simpleseg {' '.join(shlex.quote(a) for a in argv)}\n")
        f.flush()
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=REPO)
    if done.returncode:
        raise SystemExit(f"step failed (exit {done.returncode}); see {log}")
    print(f"  done in {time.time() - t0:.0f} s", flush=True)


def _synth(spec: dict, out: Path, log: Path) -> None:
    if (out / "records.jsonl").is_file():
        print(f"data: {out} exists, skipped")
        return
    missing = missing_fonts()
    if missing:  # other fonts draw other screens: not the data the recipes were made for
        raise SystemExit(f"data: the screen generator lacks the font families {', '.join(missing)}; the default model's "
                         f"screens are drawn with all of them. Install them first (as .ci/run does): "
                         f"apt-get install {' '.join(FONT_PACKAGES)}")
    _run(["data", "synth", "gui", "-n", str(spec["n"]), "--seed", str(spec["seed"]), "--difficulty", spec["difficulty"],
          "--out", str(out), "--workers", "2", "--no-progress"], log)


def _reports(work: Path, suffix: str) -> dict[str, dict]:
    """Each stage's held-out report (``reports/<stage><suffix>/heldout.json``), by stage."""
    return {n: json.loads((work / "reports" / f"{n}{suffix}" / "heldout.json").read_text())
            for n in STAGES if (work / "reports" / f"{n}{suffix}" / "heldout.json").is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("runs/default"), help="working folder (data, runs, reports)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {', '.join(STEPS)}")
    parser.add_argument("--ship", action="store_true", help="copy the better model into the package with its provenance")
    parser.add_argument("--from-shipped", action="store_true",
                        help="first write the shipped model and what its provenance keeps into --work (to run later stages)")
    parser.add_argument("--eval-max-samples", type=int, default=None, help="evaluate on the first N held-out queries only")
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; known: {', '.join(STEPS)}")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "pipeline.log"
    data, init = work / "data", work / "init"
    if args.from_shipped:
        package = REPO / "simpleseg_agent" / "models" / "simpleseg-gui-small"
        written = restore_work(work, package)
        print(f"from-shipped: wrote {len(written)} files of {package} into {work}")

    if "init" in steps:
        if (init / "model.safetensors").is_file():
            print(f"init: {init} exists, skipped")
        else:
            from simpleseg_agent.testing.tiny_model import build_tiny_model

            build_tiny_model(init, settings=DEFAULT_MODEL_SETTINGS)
            print(f"init: wrote {init}")
    if "data" in steps:
        _synth(TRAIN_DATA, data / "train", log)
        _synth(STARTER_DATA, data / "starter", log)
        _synth(GSPO_DATA, data / "gspo", log)
        _synth(GSPO_STARTER_DATA, data / "gspo-starter", log)
        _synth(POLISH_DATA, data / "polish", log)
        _synth(POLISH_STARTER_DATA, data / "polish-starter", log)
        _synth(CONTRAST_DATA, data / "contrast", log)
        _synth(CONTRAST_STARTER_DATA, data / "contrast-starter", log)
        _synth(VALIDATION_DATA, data / "validation", log)
        _synth(HELDOUT_DATA, data / "heldout", log)
        _synth(STARTER_HELDOUT_DATA, data / "heldout-starter", log)
        for name, mix in (("locate", LOCATE_MIX), ("gspo-mix", GSPO_MIX), ("polish-mix", POLISH_MIX),
                          ("choose-mix", CHOOSE_MIX), ("contrast-mix", CONTRAST_MIX)):
            if not (data / name / "records.jsonl").is_file():
                counts = merge_records([(data / d / "records.jsonl", n, p) for d, n, p in mix],
                                       data / name / "records.jsonl")
                print(f"data: {data / name / 'records.jsonl'} merges {counts} records")
    # each training stage: its trainer, its recipe, the model it starts from and its records
    for name, kind, recipe, start, records in TRAINING_STEPS:
        out = work / name
        if name in steps and not (out / "final" / "model.safetensors").is_file():
            model = init if start == "init" else work / start / "final"
            _run(["train", kind, "--recipe", recipe, "--model.model", str(model),
                  "--data.train", str(data / records / "records.jsonl"), "--output-dir", str(out)], log)
    if "validate" in steps:
        for stage in VALIDATED_STAGES:
            # the choice stages train the choice snapping makes: their checkpoints are scored as the preset
            # decodes (snapped, reading the words, settling lines of text); an existing report is kept as it is
            flags = list(PRESET_DECODING) if stage in CHOICE_STAGES else []
            for ckpt in sorted((work / stage).glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1])):
                out = work / "reports" / f"{stage}-validation" / ckpt.name.split("-")[1]
                if not (out / "val.json").is_file():
                    _run(["eval", "--model", str(ckpt), "--data", str(data / "validation" / "records.jsonl"),
                          *flags, "--out", str(out), "--split", "val"], log)
            curve = validation_reports(work, stage)
            if curve:
                best = max(curve, key=lambda s: curve[s]["giou"])
                print(f"{stage} checkpoints on the validation screens (mean IoU / clicks / format errors):")
                for step, r in curve.items():
                    print(f"  {step:>5}: {r['giou']:.3f} / {100 * r['click_acc']:.1f} % / {100 * r['format_error_rate']:.1f} %"
                          + ("  <- best" if step == best else ""))
    if "eval" in steps:
        extra = ["--max-samples", str(args.eval_max_samples)] if args.eval_max_samples else []
        # as each model answers, then as the shipped preset decodes: with the answer grammar
        # and on the starter held-out screens, as each model answers
        for suffix, flags, held, _key in HELDOUT_REPORTS:
            for name in STAGES:
                model, out = work / name / "final", work / "reports" / f"{name}{suffix}"
                if not model.is_dir() or (out / "heldout.json").is_file() or not (data / held).is_dir():
                    continue
                _run(["eval", "--model", str(model), "--data", str(data / held / "records.jsonl"), *flags,
                      "--out", str(out), "--split", "heldout", *extra], log)
    if args.ship:
        reports = _reports(work, "")
        if not reports:
            raise SystemExit("nothing to ship: run the eval step first")
        # mean IoU over queries as the shipped preset decodes (snapped), when every stage has that report
        snapped = _reports(work, "-snapped")
        ranked = snapped if snapped.keys() >= reports.keys() else reports
        best = max(ranked, key=lambda n: ranked[n]["giou"])
        target = REPO / "simpleseg_agent" / "models" / "simpleseg-gui-small"
        card = target / "README.md"  # the model card is written by hand: it outlives the weights it describes
        card_text = card.read_text() if card.is_file() else None
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        if card_text is not None:
            card.write_text(card_text)
        src = work / best / "final"
        for f in src.iterdir():
            if f.is_file() and f.name not in ("simpleseg_model.json", "README.md") and not f.name.startswith(("training_args", "data-")):
                shutil.copy2(f, target / f.name)
        info = provenance(stage=best, run_dir=src, reports=reports, repo=REPO,
                          constrained_reports=_reports(work, "-constrained"), validation={s: validation_reports(work, s) for s in VALIDATED_STAGES},
                          starter_reports=_reports(work, "-starter"), snapped_reports=_reports(work, "-snapped"),
                          starter_snapped_reports=_reports(work, "-starter-snapped"))
        (target / "simpleseg_model.json").write_text(json.dumps(info, indent=2) + "\n")
        size = sum(f.stat().st_size for f in target.iterdir())
        print(f"shipped the {best} model ({size / 1e6:.1f} MB) to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
