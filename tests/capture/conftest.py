"""Desktop-capture fixtures: skip where the desktop programs are missing, unless SIMPLESEG_REQUIRE_X=1 (CI)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess

import pytest

from simpleseg_agent.capture.desktop.session import session_pids

from .web_page import PAGE


def _desktop_missing() -> str:
    for program, package in (("Xvfb", "xvfb"), ("dbus-daemon", "dbus-daemon"), ("zenity", "zenity"),
                             ("xwininfo", "x11-utils"), ("xdotool", "xdotool")):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install {package})"
    if not os.path.exists("/usr/libexec/at-spi-bus-launcher"):
        return "at-spi2-core is not installed (apt-get install at-spi2-core)"
    probe = subprocess.run(["/usr/bin/python3", "-c", "import gi; gi.require_version('Atspi', '2.0')"],
                           capture_output=True)
    if probe.returncode != 0:
        return "/usr/bin/python3 cannot import Atspi (apt-get install python3-gi gir1.2-atspi-2.0)"
    for module in ("mss", "PySide6", "tkinter"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'simpleseg-agent[capture]')"
    return ""


@pytest.fixture(scope="session")
def desktop():
    """Skip (or fail under SIMPLESEG_REQUIRE_X) without the desktop programs."""
    reason = _desktop_missing()
    if reason:
        if os.environ.get("SIMPLESEG_REQUIRE_X"):
            pytest.fail(f"SIMPLESEG_REQUIRE_X is set but {reason}")
        pytest.skip(reason)


@pytest.fixture
def no_strays(desktop):
    """After the test, no process of any capture session may be left running."""
    before = set(session_pids(None))  # another capture running beside the tests is not this test's
    yield
    left = sorted(set(session_pids(None)) - before)
    assert left == [], f"processes of a capture session are still running: {left}"


@pytest.fixture(scope="session")
def known_page(tmp_path_factory):
    """The test page (:data:`web_page.PAGE`, known CSS positions) written to a file."""
    page = tmp_path_factory.mktemp("page") / "login.html"
    page.write_text(PAGE)
    return page
