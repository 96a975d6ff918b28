"""The reference paper's two ablations at the default model's scale: vertex order and point density.

    python tools/ablate_default_model.py --work runs/default --steps 100 --eval-queries 140

From the default model's SFT checkpoint, three short continuations of the same SFT recipe on the
same fresh screens (``simpleseg data synth gui --seed 4``), differing in one data option only:

* ``control``   — the shipped recipe's answers (clockwise from the top-most vertex, polygons as generated);
* ``random-order`` — the same outlines, each from a random vertex in a random direction;
* ``eps-0.02``  — the outlines simplified by Douglas-Peucker at 2 % of the perimeter (fewer points).

Each arm is evaluated with ``simpleseg eval`` on the first held-out queries; the summary (IoU, click
accuracy, format errors, answer tokens per arm) goes to ``<work>/reports/ablations/summary.json``.
Continuing from a checkpoint trained clockwise favours the control arm in the order ablation; the
report says so next to the numbers.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARMS = {
    "control": [],
    "random-order": ["--data.vertex_order", "random"],
    "eps-0.02": ["--data.simplify_eps_frac", "0.02"],
}


def _run(argv: list[str], log: Path) -> None:
    print("$ simpleseg " + " ".join(shlex.quote(a) for a in argv), flush=True)
    t0 = time.time()
    with log.open("a") as f:
        done = subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", *argv], stdout=f, stderr=subprocess.STDOUT, cwd=REPO)
    if done.returncode:
        raise SystemExit(f"failed (exit {done.returncode}); see {log}")
    print(f"  {time.time() - t0:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("runs/default"))
    parser.add_argument("--start", type=Path, default=None, help="checkpoint to continue from (default: <work>/sft/final)")
    parser.add_argument("--steps", type=int, default=100, help="optimizer steps per arm")
    parser.add_argument("--learning-rate", default="2e-4")
    parser.add_argument("--eval-queries", type=int, default=140, help="first held-out queries to evaluate")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"subset of {', '.join(ARMS)}")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads of each training run")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    start = (args.start or work / "sft" / "final").resolve()
    data = work / "data" / "ablation" / "records.jsonl"
    if not data.is_file():
        _run(["data", "synth", "gui", "-n", "1000", "--seed", "4", "--difficulty", "easy", "--out", str(data.parent),
              "--no-progress", "--no-contact-sheet"], work / "ablations.log")
    out = work / "reports" / "ablations"
    out.mkdir(parents=True, exist_ok=True)
    summary = {"start": str(start), "steps": args.steps, "learning_rate": float(args.learning_rate),
               "eval_queries": args.eval_queries, "arms": {}}
    for arm in [a.strip() for a in args.arms.split(",") if a.strip()]:
        run = work / "ablations" / arm
        if not (run / "final" / "model.safetensors").is_file():
            _run(["train", "sft", "--recipe", "default-gui-sft", "--model.model", str(start), "--data.train", str(data),
                  "--output-dir", str(run), "--max-steps", str(args.steps), "--learning-rate", args.learning_rate,
                  "--lr-scheduler-type", "constant", "--warmup-ratio", "0", "--save-steps", str(10 * args.steps),
                  "--num-threads", str(args.threads),
                  *ARMS[arm]], work / "ablations.log")
        report = out / arm / "heldout.json"
        if not report.is_file():
            _run(["eval", "--model", str(run / "final"), "--preset", "simpleseg-gui-small",
                  "--data", str(work / "data" / "heldout" / "records.jsonl"), "--max-samples", str(args.eval_queries),
                  "--split", "heldout", "--out", str(out / arm)], work / "ablations.log")
        r = json.loads(report.read_text())
        summary["arms"][arm] = {k: r[k] for k in ("n", "giou", "ciou", "rec_acc50", "click_acc", "format_error_rate",
                                                   "mean_answer_tokens")}
        print(arm, summary["arms"][arm], flush=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
