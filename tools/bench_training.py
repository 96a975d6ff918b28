"""Step times of SFT and GSPO on the tiny model (CPU, one thread) and the reward's share of a GSPO step.

Baseline for the reward share: the GSPO step itself (generation + scoring + backward), measured in
the same run; the reward is timed inside the trainer by wrapping it. Only GSPO steps that learn are
timed: the rewards within a group differ (the advantage is that spread) and the gradient norm is not
zero. The memorized test model knows its scenes: sampled at temperature 1 its groups mostly score 1
with zero spread (no gradient), and at 1.5 every answer breaks (reward 0, no gradient either), so the
answers are sampled at ``--temperature`` 1.2; every step's reward, spread and gradient norm is printed,
and the run fails when no step learned. Run:
``python tools/bench_training.py [--sft-steps 30] [--gspo-steps 6]``; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class TimedReward:
    """Wraps a reward callable and records the seconds spent in it."""

    def __init__(self, reward) -> None:
        self.reward = reward
        self.__name__ = getattr(reward, "__name__", "reward")
        self.seconds: list[float] = []
        self.completions = 0

    def __call__(self, completions, **kwargs):
        t0 = time.perf_counter()
        out = self.reward(completions, **kwargs)
        self.seconds.append(time.perf_counter() - t0)
        self.completions += len(completions)
        return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sft-steps", type=int, default=30)
    parser.add_argument("--gspo-steps", type=int, default=6)
    parser.add_argument("--temperature", type=float, default=1.2,
                        help="GSPO sampling temperature: high enough that a group's answers differ, so steps learn")
    args = parser.parse_args(argv)

    from datasets import Dataset
    from transformers import TrainerCallback

    from simpleseg_agent.testing import memorized_model_dir, tiny_model_dir
    from simpleseg_agent.testing.memorize import synthetic_examples, tool_examples
    from simpleseg_agent.training import runner
    from simpleseg_agent.training.config import GSPORecipe, SFTRecipe

    runner.set_single_thread()
    root = tempfile.mkdtemp(prefix="simpleseg-bench-train-")
    exs = synthetic_examples() + tool_examples()
    Dataset.from_list([{"images": [e.image], "messages": [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": e.prompt}]},
        {"role": "assistant", "content": [{"type": "text", "text": e.answer}]}]} for e in exs]).save_to_disk(f"{root}/sft")
    Dataset.from_list([{"prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": e.prompt}]}],
                        "image": e.image, "task": "text2mask",
                        "gt_polygons": [[list(p) for p in poly] for poly in e.polygons_xy_norm],
                        "image_wh": list(e.image.size)} for e in synthetic_examples()]).save_to_disk(f"{root}/grpo")

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []
            self._t = 0.0

        def on_step_begin(self, args, state, control, **kw):
            self._t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.times.append(time.perf_counter() - self._t)

    class LogRecorder(TrainerCallback):
        """The trainer's per-step logs: reward spread within groups and the gradient norm."""

        def __init__(self) -> None:
            self.logs: list[dict] = []

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "grad_norm" in logs:
                self.logs.append(dict(logs))

    # SFT: batch 8 on the tiny model
    sft = SFTRecipe.from_dict({"name": "bench-sft", "output_dir": f"{root}/sft-run", "model": {"model": str(tiny_model_dir()), "freeze_vision": False},
                               "data": {"train": f"{root}/sft"}, "max_steps": args.sft_steps, "per_device_train_batch_size": 8,
                               "learning_rate": 3e-3, "save_steps": 10_000, "logging_steps": 10, "resume": "never",
                               "gradient_checkpointing": False, "bf16": False})
    from trl import SFTConfig, SFTTrainer

    model, processor, _ = runner.load_model_and_processor(sft)
    timer = StepTimer()
    trainer = SFTTrainer(model=model, args=SFTConfig(**runner._common_args(sft), assistant_only_loss=True),
                         train_dataset=runner._load_rows(sft.data.train, "sft", sft), processing_class=processor, callbacks=[timer])
    trainer.train()
    sft_step = statistics.median(timer.times[2:] or timer.times)

    # GSPO: group of 4 answers per prompt, batch 4, from the memorized checkpoint (non-zero rewards)
    from trl import GRPOConfig, GRPOTrainer

    gspo = GSPORecipe.from_dict({"name": "bench-gspo", "output_dir": f"{root}/gspo-run", "model": {"model": str(memorized_model_dir()), "freeze_vision": False},
                                 "data": {"train": f"{root}/grpo"}, "max_steps": args.gspo_steps, "per_device_train_batch_size": 4,
                                 "num_generations": 4, "steps_per_generation": 1, "max_completion_length": 160,
                                 "learning_rate": 1e-4, "save_steps": 10_000, "logging_steps": 1, "resume": "never",
                                 "gradient_checkpointing": False, "bf16": False})
    model, processor, _ = runner.load_model_and_processor(gspo, padding_side="left")
    reward = TimedReward(runner.build_reward(gspo))
    timer = StepTimer()
    logs = LogRecorder()
    cfg = GRPOConfig(**runner._common_args(gspo), num_generations=4, steps_per_generation=1, max_completion_length=160,
                     importance_sampling_level="sequence", loss_type="grpo", beta=0.0, epsilon=3e-4, epsilon_high=4e-4,
                     temperature=args.temperature)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=cfg, train_dataset=runner._load_rows(gspo.data.train, "grpo", gspo),
                          processing_class=processor, callbacks=[timer, logs])
    trainer.train()
    # a step learns when its groups' rewards differ (GRPO's advantages are the reward's spread within a
    # group) and its gradient is not zero; a step whose every answer scores the same costs the same
    # time and teaches nothing, so only learning steps are timed (the first, warm-up step left out)
    steps = list(zip(timer.times, logs.logs))
    learning = [(t, log) for t, log in steps[1:] if log.get("reward_std", 0) > 0 and log.get("grad_norm", 0) > 0]
    for k, (t, log) in enumerate(steps):
        print(f"GSPO step {k + 1}: {t * 1e3:7.1f} ms, reward {log.get('reward', float('nan')):.3f} "
              f"+- {log.get('reward_std', float('nan')):.3f} (within groups), grad norm {log.get('grad_norm', float('nan')):.3g}")
    if not learning:
        raise SystemExit("no GSPO step learned (every group's rewards were equal or the gradient was zero): "
                         "raise --temperature or use a model that is less sure of its answers")
    gspo_step = statistics.median(t for t, _ in learning)
    reward_per_step = sum(reward.seconds) / max(len(reward.seconds), 1)
    out = {
        "sft_step_s": round(sft_step, 4),
        "sft_batch": 8,
        "gspo_step_s": round(gspo_step, 4),
        "gspo_batch": 4,
        "gspo_group": 4,
        "gspo_temperature": args.temperature,
        "gspo_steps_learning": len(learning),
        "gspo_steps_timed_of": len(steps) - 1,
        "gspo_reward_std_mean": round(statistics.mean(log["reward_std"] for _, log in learning), 4),
        "gspo_grad_norm_median": float(f"{statistics.median(log['grad_norm'] for _, log in learning):.4g}"),
        "reward_s_per_step": round(reward_per_step, 5),
        "reward_share_pct": round(100 * reward_per_step / gspo_step, 3),
        "reward_us_per_completion": round(1e6 * sum(reward.seconds) / max(reward.completions, 1), 1),
    }
    print(f"SFT step (batch 8):            {out['sft_step_s'] * 1e3:8.1f} ms")
    print(f"GSPO step (batch 4, group 4):  {out['gspo_step_s'] * 1e3:8.1f} ms (median of the {len(learning)} of "
          f"{len(steps) - 1} steps after the first that learned: reward spread {out['gspo_reward_std_mean']:.3f}, "
          f"grad norm {out['gspo_grad_norm_median']:.3g})")
    print(f"  reward per step:             {out['reward_s_per_step'] * 1e3:8.2f} ms ({out['reward_share_pct']:.2f}% of the step, "
          f"{out['reward_us_per_completion']:.0f} us per completion)")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
