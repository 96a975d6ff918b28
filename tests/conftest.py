"""Shared test setup: one thread for numeric libraries (two shared cores), reproducible randomness."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

# Session fixtures of the tiny real model (built once, cached on disk; skipped without [model]).
from simpleseg_agent.testing.fixtures import memorized_model_path, tiny_model_path  # noqa: E402,F401
