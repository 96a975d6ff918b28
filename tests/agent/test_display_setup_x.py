"""The screen agent on a bare Xvfb (no Xauthority file anywhere) clicks instead of failing in python-xlib, and
``simpleseg click`` without a usable display fails at once (exit 2, one line) without loading a model."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from simpleseg_agent.agent.screen import ensure_xauthority

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def bare_xvfb():
    """An Xvfb started as a user would start one by hand: no cookie, no Xauthority file."""
    if shutil.which("Xvfb") is None:
        if os.environ.get("SIMPLESEG_REQUIRE_X"):
            pytest.fail("SIMPLESEG_REQUIRE_X is set but Xvfb is not installed")
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "640x480x24", "-nolisten", "tcp",
                             "-noreset"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    try:
        while not number.endswith(b"\n"):
            chunk = os.read(read, 16)
            if not chunk:
                raise RuntimeError("Xvfb exited before it was ready")
            number += chunk
        yield ":" + number.decode().strip()
    finally:
        os.close(read)
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


CLICK = textwrap.dedent("""
    import json, os
    from simpleseg_agent.agent import ScreenAgent
    from simpleseg_agent.testing.fakes import FakeAnswerBackend
    agent = ScreenAgent(FakeAnswerBackend(["[[[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6]]]"]), pause_s=0.0)
    record = agent.click("the middle")
    import pyautogui
    print(json.dumps({"ok": record.ok, "status": record.status, "error": record.error,
                      "position": list(pyautogui.position()), "xauthority": os.environ.get("XAUTHORITY")}))
""")


def test_the_screen_agent_clicks_on_a_bare_xvfb_without_an_xauthority_file(bare_xvfb, tmp_path) -> None:
    if importlib.util.find_spec("pyautogui") is None:  # not imported here: it connects to a display at import
        pytest.skip("pyautogui is not installed (pip install 'simpleseg-agent[agent]')")
    home = tmp_path / "home"
    home.mkdir()  # no .Xauthority in it
    env = {k: v for k, v in os.environ.items() if k != "XAUTHORITY"}
    env.update(DISPLAY=bare_xvfb, HOME=str(home), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", CLICK], env=env, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["ok"] and got["status"] == "done", got
    assert got["position"] == [320, 240]  # the click landed in the middle of the 640x480 screen
    assert got["xauthority"] and os.path.getsize(got["xauthority"]) == 0 and not (home / ".Xauthority").exists()


def test_ensure_xauthority_changes_nothing_where_a_file_exists(tmp_path, monkeypatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("X11 authority files are a Linux matter here")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XAUTHORITY", "/some/where/.Xauthority")
    assert ensure_xauthority() is None and os.environ["XAUTHORITY"] == "/some/where/.Xauthority"
    monkeypatch.delenv("XAUTHORITY")
    (tmp_path / ".Xauthority").write_bytes(b"")
    assert ensure_xauthority() is None and "XAUTHORITY" not in os.environ
    (tmp_path / ".Xauthority").unlink()
    path = ensure_xauthority()
    assert path and os.environ["XAUTHORITY"] == path and os.path.getsize(path) == 0
    assert os.stat(path).st_mode & 0o077 == 0  # private to this user


@pytest.mark.parametrize("display", [None, ":987"])  # no DISPLAY; a DISPLAY where no server listens
def test_click_without_a_display_fails_before_loading_a_model(display, monkeypatch, capsys) -> None:
    import simpleseg_agent.backends.registry as registry
    from simpleseg_agent.cli import main

    built = []

    def no_backend(*args, **kwargs):
        built.append(args)
        raise AssertionError("a backend was built")

    monkeypatch.setattr(registry, "load_backend", no_backend)
    if display is None:
        monkeypatch.delenv("DISPLAY", raising=False)
    else:
        monkeypatch.setenv("DISPLAY", display)
    t0 = time.perf_counter()
    code = main(["click", "the submit button"])
    elapsed = time.perf_counter() - t0
    out = capsys.readouterr()
    assert code == 2 and built == []
    assert elapsed < 2.0, elapsed
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simpleseg click: error:") and "display" in lines[0].lower(), out.err
    assert out.out == ""
