"""Test helpers: a tiny random Qwen2.5-VL checkpoint and a tiny one that memorized a few answers.

Both are built once per settings and cached on disk under the system temp folder
(``simpleseg-tiny-<hash>``, ``simpleseg-memorized-<hash>``), once per process in memory, so a test
session pays the build (a few seconds) and the training (about 15-25 s on one core) at most once.
Parallel processes may race: each builds into its own temporary folder and renames it into place.

Importing this package does not import torch; the builders need the ``[model]`` extra.

Example (not run by doctest: it needs torch)::

    from simpleseg_agent.testing import memorized_model_dir, tiny_model_dir
    from simpleseg_agent.backends.transformers_backend import TransformersBackend
    backend = TransformersBackend(tiny_model_dir())
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from .tiny_model import TinyModelSettings, build_tiny_model

__all__ = ["MEMORIZE_STEPS", "cache_root", "memorized_model_dir", "tiny_model_dir"]

#: Step budget of :func:`memorized_model_dir` (training stops earlier once the loss is below 1e-3).
MEMORIZE_STEPS = 300
_MEMORIZE_LR = 3e-3
_COMPLETE = ".simpleseg-complete"


def cache_root() -> Path:
    """Where cached test checkpoints live: ``$SIMPLESEG_TEST_CACHE`` or the system temp folder."""
    return Path(os.environ.get("SIMPLESEG_TEST_CACHE") or tempfile.gettempdir())


def _versions() -> dict:
    import torch
    import transformers

    return {"torch": torch.__version__.split("+")[0], "transformers": transformers.__version__}


def _key(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _cached_build(name: str, key: str, build: Callable[[Path], object]) -> Path:
    """Build into a private temp folder, then rename it to ``<root>/<name>-<key>``; the first finisher wins."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{name}-{key}"
    if (final / _COMPLETE).is_file():
        return final
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-{key}-", dir=root))
    try:
        build(tmp)
        (tmp / _COMPLETE).write_text("ok\n")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache may be shared
        for _ in range(2):
            try:
                os.replace(tmp, final)
                break
            except OSError:
                if (final / _COMPLETE).is_file():
                    break  # another process finished first; use its folder
                shutil.rmtree(final, ignore_errors=True)  # a leftover without the marker
        else:
            raise OSError(f"could not move the built model into {final}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


@functools.cache
def tiny_model_dir(seed: int = 0) -> Path:
    """Folder of the tiny random Qwen2.5-VL checkpoint for ``seed`` (built on first use, then cached)."""
    settings = TinyModelSettings(seed=seed)
    key = _key({"settings": asdict(settings), **_versions()})
    return _cached_build("simpleseg-tiny", key, lambda out: build_tiny_model(out, settings=settings))


@functools.cache
def memorized_model_dir(seed: int = 0) -> Path:
    """Folder of the tiny checkpoint after :func:`~.memorize.memorize` on the polygon and point examples.

    Trains on one torch thread (restored afterwards). The examples are available from
    ``synthetic_examples()`` and ``tool_examples()``; the training report is in the folder's ``simpleseg_model.json``.
    """
    from .memorize import memorize, synthetic_examples, tool_examples

    base = tiny_model_dir(seed)
    examples = synthetic_examples() + tool_examples()
    images = hashlib.sha256(b"".join(e.image.tobytes() + str(e.image.size).encode() for e in examples)).hexdigest()
    key = _key(
        {
            "base": base.name,
            "examples": [(e.prompt, e.answer) for e in examples],
            "images": images,
            "steps": MEMORIZE_STEPS,
            "lr": _MEMORIZE_LR,
            "seed": seed,
            "version": 1,
        }
    )
    return _cached_build(
        "simpleseg-memorized",
        key,
        lambda out: memorize(
            base, examples, steps=MEMORIZE_STEPS, lr=_MEMORIZE_LR, out_dir=out, seed=seed, num_threads=1
        ),
    )
