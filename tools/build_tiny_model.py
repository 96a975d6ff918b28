"""Build the tiny random Qwen2.5-VL test checkpoint into a folder.

    python tools/build_tiny_model.py --out /tmp/tiny-qwen --seed 0

The folder loads through ``AutoProcessor`` / ``AutoModelForImageTextToText`` and
``simpleseg_agent.backends.transformers_backend.TransformersBackend`` like a real checkpoint.
The logic lives in :mod:`simpleseg_agent.testing.tiny_model`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from simpleseg_agent.testing.tiny_model import build_tiny_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder to write (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the tokenizer corpus and the weights")
    parser.add_argument("--vocab-size", type=int, default=1000, help="target BPE vocabulary size")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    out = build_tiny_model(args.out, seed=args.seed, vocab_size=args.vocab_size)
    info = json.loads((out / "simpleseg_model.json").read_text())
    print(
        f"wrote {out} in {time.perf_counter() - t0:.1f} s: {info['n_parameters']:,} parameters, "
        f"vocabulary {info['vocab_size']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
