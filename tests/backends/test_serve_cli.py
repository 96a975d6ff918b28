"""`simpleseg serve` in a subprocess, queried through the OpenAI-compatible client (stopped by PID)."""

import socket
import subprocess
import sys
import time

import pytest
from PIL import Image

from simpleseg_agent.backends.base import GenerationRequest
from simpleseg_agent.tools import Decoding, SimpleSeg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_serve_command_answers_segment_over_http(memorized_model_path):
    from simpleseg_agent.testing.memorize import tool_examples

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simpleseg_agent.cli", "serve", "--model", str(memorized_model_path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "Serving" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "the server exited before serving"
        assert "Serving" in line and f":{port}/v1" in line
        ex = tool_examples(1)[0]
        tool = SimpleSeg(f"http://127.0.0.1:{port}/v1", decoding=Decoding(max_new_tokens=200), timeout_s=60)
        r = tool.segment(ex.image, ex.query)
        assert r.ok and r.raw_answer == ex.answer, (r.raw_answer, r.error)
        direct = tool.backend.generate([GenerationRequest(Image.new("RGB", (64, 48)), "hello", 4)])
        assert direct[0].n_tokens <= 4
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
