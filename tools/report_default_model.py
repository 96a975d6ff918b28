"""Curves and tables of the default model's training, from the files the pipeline leaves behind.

    python tools/report_default_model.py --work runs/default --out docs/default-model

Reads ``<work>/{sft,locate,refine,gspo,polish,choose,contrast,squares,extent}`` (``simpleseg_model.json`` of ``final``, or the last
checkpoint's ``trainer_state.json`` while a run is going), ``<work>/reports/<stage>/heldout.json``
(``simpleseg eval``), ``<work>/reports/ckpt/<step>/heldout.json`` (held-out subsets evaluated at SFT
checkpoints), ``<work>/reports/<stage>-ckpt/{easy,starter}/<step>/heldout.json`` (the same for the later
stages, on easy and on starter screens), ``<work>/reports/{gspo,polish,choose,contrast,squares,extent}-validation/<step>/val.json`` (the
pipeline's validate step: every checkpoint of the two GSPO cycles and of the choice stages on the validation screens),
``<work>/reports/<stage>-{constrained,starter}/heldout.json`` (with the answer grammar; on the starter
held-out screens), ``<work>/reports/consensus/<stage>-<arm>/heldout.json`` (consensus decoding, compared with
the stage's greedy answers) and ``<work>/reports/ablations/*.json``; writes ``sft_loss.png``,
``sft_token_accuracy.png``, ``{locate,refine,choose,contrast,squares,extent}_loss.png``, ``{gspo,polish}_reward.png``, ``heldout_iou.png``,
``{locate,refine,gspo,polish,choose,contrast,squares,extent}_heldout.png`` into ``--out`` and prints the Markdown tables of
``docs/default-model.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simpleseg_agent.training.charts import line_chart, log_series
from simpleseg_agent.training.default_model import CHOICE_STAGES, GSPO_STAGES, STAGES, VALIDATED_STAGES, validation_reports


def _history(run: Path) -> list[dict]:
    final = run / "final" / "simpleseg_model.json"
    if final.is_file():
        return json.loads(final.read_text()).get("log_history", [])
    states = sorted(run.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    return json.loads(states[-1].read_text()).get("log_history", []) if states else []


def _row(name: str, r: dict) -> str:
    lat = r.get("median_seconds_per_query")
    lat_s = f"{lat:.2f}" if isinstance(lat, (int, float)) else "-"
    return (f"| {name} | {r['n']} | {r['giou']:.3f} | {r['ciou']:.3f} | {100 * r['rec_acc50']:.1f} % | "
            f"{100 * r['click_acc']:.1f} % | {100 * r['format_error_rate']:.1f} % | {r['mean_answer_tokens']:.1f} | {lat_s} |")


def _consensus_tables(path: Path, reports: Path) -> None:
    """A consensus-decoding report (``reports/consensus/<stage>-<arm>/heldout.json``) against the greedy
    answers of the same model on the same queries (``reports/<stage>/heldout.json``), and by agreement."""
    voted = json.loads(path.read_text())
    stage = path.parent.name.split("-")[0]
    greedy_file = reports / stage / "heldout.json"
    smp = voted.get("samples", [])
    if not smp:
        return
    n = len(smp)
    print(f"\nconsensus decoding, {path.parent.name}: {voted.get('decoding', '?')}, first {n} held-out queries\n")
    print("| decoding | queries | mean IoU | click acc. | format errors |\n|---|---|---|---|---|")
    if greedy_file.is_file():
        ids = {x["record_id"] for x in smp}
        same = [x for x in json.loads(greedy_file.read_text()).get("samples", []) if x["record_id"] in ids]
        if len(same) == n:
            print(f"| greedy | {n} | {sum(x['iou'] for x in same) / n:.3f} | "
                  f"{100 * sum(bool(x['click_hit']) for x in same) / n:.1f} % | "
                  f"{100 * sum(bool(x.get('format_error')) for x in same) / n:.1f} % |")
    print(f"| consensus | {n} | {voted['giou']:.3f} | {100 * voted['click_acc']:.1f} % | {100 * voted['format_error_rate']:.1f} % |")
    print("\n| agreement | queries | mean IoU | click acc. |\n|---|---|---|---|")
    for lo, hi in ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
        group = [x for x in smp if x.get("agreement") is not None and lo <= x["agreement"] < hi]
        if group:
            k = len(group)
            print(f"| {lo:.2f}-{min(hi, 1.0):.2f} | {k} | {sum(x['iou'] for x in group) / k:.3f} | "
                  f"{100 * sum(bool(x['click_hit']) for x in group) / k:.1f} % |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("runs/default"))
    parser.add_argument("--out", type=Path, default=Path("docs/default-model"))
    parser.add_argument("--heldout", type=Path, default=None,
                        help="held-out records.jsonl: adds a table by kind of expression (meta.how of generated records)")
    args = parser.parse_args(argv)
    work, out = args.work, args.out
    out.mkdir(parents=True, exist_ok=True)

    sft = _history(work / "sft")
    if sft:
        loss, acc = log_series(sft, "loss"), log_series(sft, "mean_token_accuracy")
        line_chart({"train loss": loss}, out / "sft_loss.png", title="SFT: training loss (answer tokens)",
                   x_label="optimizer step (8 screens, up to 8 questions each)")
        line_chart({"token accuracy": acc}, out / "sft_token_accuracy.png", title="SFT: answer-token accuracy",
                   x_label="optimizer step", y_range=(0, 1))
        print(f"SFT: {len(loss[0])} logged steps, loss {loss[1][0]:.3f} -> {loss[1][-1]:.3f}, "
              f"token accuracy {acc[1][0]:.3f} -> {acc[1][-1]:.3f}")
    titles = {"locate": "Second SFT stage (starter + easy)", "refine": "Third SFT stage (more of the second)"}
    for stage, title in titles.items():
        hist = _history(work / stage)
        if hist:
            loss = log_series(hist, "loss")
            line_chart({"train loss": loss}, out / f"{stage}_loss.png", title=f"{title}: training loss",
                       x_label="optimizer step (8 screens, up to 8 questions each)")
            print(f"{stage}: {len(loss[0])} logged steps, loss {loss[1][0]:.3f} -> {loss[1][-1]:.3f}")
    for stage, title in (("gspo", "GSPO"), ("polish", "Second GSPO cycle")):
        hist = _history(work / stage)
        series = {k: log_series(hist, k) for k in ("reward", "rewards/simpleseg_reward/mean") if log_series(hist, k)[0]}
        if series:
            line_chart(series, out / f"{stage}_reward.png", title=f"{title}: mean reward of the sampled answers",
                       x_label="optimizer step", y_range=(0, 1))
            name, (xs, ys) = next(iter(series.items()))
            print(f"{stage}: {len(xs)} logged steps, {name} {ys[0]:.3f} -> {ys[-1]:.3f}")
    for stage, title in (("choose", "Choice training"), ("contrast", "Choice training with hard negatives"),
                         ("squares", "Choice training with thin marks' squares"),
                         ("extent", "Choice training with extent negatives")):
        hist = _history(work / stage)
        if hist and log_series(hist, "loss")[0]:
            loss, acc = log_series(hist, "loss"), log_series(hist, "choice_accuracy")
            line_chart({"train loss": loss, "choice accuracy": acc}, out / f"{stage}_loss.png",
                       title=f"{title}: loss and how often the right box scored highest",
                       x_label="optimizer step (8 questions, 16 boxes each)")
            print(f"{stage}: {len(loss[0])} logged steps, loss {loss[1][0]:.3f} -> {loss[1][-1]:.3f}, "
                  f"choice accuracy {acc[1][0]:.3f} -> {acc[1][-1]:.3f}")
    ckpts = sorted((int(p.parent.name), json.loads(p.read_text())) for p in (work / "reports" / "ckpt").glob("*/heldout.json"))
    if ckpts:
        steps = [s for s, _ in ckpts]
        line_chart({"mean IoU (gIoU)": (steps, [r["giou"] for _, r in ckpts]),
                    "click accuracy": (steps, [r["click_acc"] for _, r in ckpts]),
                    "format errors": (steps, [r["format_error_rate"] for _, r in ckpts])},
                   out / "heldout_iou.png", title=f"SFT checkpoints on the first {ckpts[0][1]['n']} held-out queries",
                   x_label="optimizer step", y_range=(0, 1))
        print("\n| step | queries | mean IoU | click acc. | format errors |\n|---|---|---|---|---|")
        for s, r in ckpts:
            print(f"| {s} | {r['n']} | {r['giou']:.3f} | {100 * r['click_acc']:.1f} % | {100 * r['format_error_rate']:.1f} % |")
    curves = dict(titles, gspo="GSPO (eight prompts per step)", polish="Second GSPO cycle",
                  choose="Choice training (validation snapped)",
                  contrast="Choice training, hard negatives (validation snapped)",
                  squares="Choice training, thin marks' squares (validation snapped, reading)",
                  extent="Choice training, extent negatives (validation snapped, reading)")
    for stage, title in curves.items():
        sets = {}
        for name in ("easy", "starter"):
            found = sorted((int(p.parent.name), json.loads(p.read_text()))
                           for p in (work / "reports" / f"{stage}-ckpt" / name).glob("*/heldout.json"))
            if found:
                sets[name] = found
        if stage in VALIDATED_STAGES:  # the pipeline's validate step: every checkpoint on the validation screens
            found = list(validation_reports(work, stage).items())
            # a later GSPO cycle's step 0 is where the one before ended, a later choice stage's where the one
            # before it ended (the choice stages are scored snapped, the cycles as they answer: the first
            # choice stage has no step 0)
            group = next((g for g in (GSPO_STAGES, CHOICE_STAGES) if stage in g), ())
            before = validation_reports(work, group[group.index(stage) - 1]) if stage in group[1:] else {}
            last = before[max(before)] if before else None
            # step 0 of a later cycle: where the cycle before it ended (when it was scored the same way)
            if found and last and last.get("decoding") == found[0][1].get("decoding"):
                found.insert(0, (0, last))
            if found:
                sets["validation"] = found
        if not sets:
            continue
        series = {}
        for name, found in sets.items():
            series[f"{name}: mean IoU"] = ([s for s, _ in found], [r["giou"] for _, r in found])
            series[f"{name}: click accuracy"] = ([s for s, _ in found], [r["click_acc"] for _, r in found])
        line_chart(series, out / f"{stage}_heldout.png", title=f"{title}: checkpoints on held-out subsets",
                   x_label="optimizer step (0: the previous stage's model)", y_range=(0, 1))
        print(f"\n{stage}\n\n| step | set | queries | mean IoU | click acc. | format errors | answer tokens |\n"
              "|---|---|---|---|---|---|---|")
        for name, found in sets.items():
            for s, r in found:
                print(f"| {s} | {name} | {r['n']} | {r['giou']:.3f} | {100 * r['click_acc']:.1f} % | "
                      f"{100 * r['format_error_rate']:.1f} % | {r['mean_answer_tokens']:.1f} |")
    print("\n| model | queries | mean IoU (gIoU) | cIoU | REC@0.5 | click acc. | format errors | answer tokens | s / query |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in STAGES:
        f = work / "reports" / name / "heldout.json"
        if f.is_file():
            print(_row(name.upper(), json.loads(f.read_text())))
    for name in STAGES:  # decoded with the answer grammar (--constrained), as the shipped preset does
        f = work / "reports" / f"{name}-constrained" / "heldout.json"
        if f.is_file():
            print(_row(f"{name.upper()} constrained", json.loads(f.read_text())))
    for name in STAGES:  # on the starter held-out screens (a small window anywhere), as each model answers
        f = work / "reports" / f"{name}-starter" / "heldout.json"
        if f.is_file():
            print(_row(f"{name.upper()} starter screens", json.loads(f.read_text())))
    for suffix, what in (("-snapped", "snapped"), ("-starter-snapped", "starter screens snapped")):
        for name in STAGES:  # snapped to the screen's elements, the model choosing (as the shipped preset decodes)
            f = work / "reports" / f"{name}{suffix}" / "heldout.json"
            if f.is_file():
                print(_row(f"{name.upper()} {what}", json.loads(f.read_text())))
    if args.heldout and args.heldout.is_file():
        how = {}
        for line in args.heldout.read_text().splitlines():
            rec = json.loads(line)
            kinds = rec.get("meta", {}).get("how") or []
            how[rec.get("record_id")] = kinds[0] if kinds else "?"
        for name in [*STAGES, *(f"{n}-snapped" for n in STAGES)]:
            f = work / "reports" / name / "heldout.json"
            if not f.is_file():
                continue
            groups: dict[str, list[dict]] = {}
            for smp in json.loads(f.read_text()).get("samples", []):
                groups.setdefault(how.get(smp["record_id"], "?"), []).append(smp)
            print(f"\n{name.upper()} by kind of expression\n\n| expression kind | queries | mean IoU | click acc. |\n|---|---|---|---|")
            for kind, smps in sorted(groups.items(), key=lambda kv: -len(kv[1])):
                n = len(smps)
                print(f"| {kind} | {n} | {sum(x['iou'] for x in smps) / n:.3f} | "
                      f"{100 * sum(bool(x['click_hit']) for x in smps) / n:.1f} % |")
    for f in sorted((work / "reports" / "consensus").glob("*/heldout.json")):
        _consensus_tables(f, work / "reports")
    for f in sorted((work / "reports" / "ablations").glob("*.json")):
        print(f"\nablation {f.stem}:")
        print(f.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
